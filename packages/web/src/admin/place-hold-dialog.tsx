/**
 * Admin console → Compliance → Legal holds: the "Place hold" dialog — the matter it serves,
 * what it covers (one user's communications, or one channel's) picked from the org's users or
 * channels, and a note. Nothing it covers is removed by retention or deletion until released.
 */
import { useEffect, useState, type FormEvent } from "react";
import type { Channel } from "@parley/protocol";
import { isParleyError } from "@parley/sdk";
import { useChat } from "../client/use-chat.ts";
import { orgChannels } from "../client/extras.ts";
import { Modal } from "../components/dialogs/modal.tsx";
import { FormError } from "../components/auth/auth-card.tsx";
import { describeAccessError } from "./access-text.ts";
import { parseMatter } from "./retention-periods.ts";

type Scope = "user" | "channel";

export function PlaceHoldDialog(props: { onPlaced: () => void; onClose: () => void }) {
  const chat = useChat();
  const [matter, setMatter] = useState("");
  const [scope, setScope] = useState<Scope>("user");
  const [userId, setUserId] = useState("");
  const [channelId, setChannelId] = useState("");
  const [note, setNote] = useState("");
  const [channels, setChannels] = useState<Channel[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    orgChannels(chat).then(
      (list) => setChannels(list.filter((c) => c.kind === "public" || c.kind === "private").sort((a, b) => a.name.localeCompare(b.name))),
      (err: unknown) => setError(describeAccessError(err)),
    );
  }, [chat]);
  const users = [...chat.users.values()].sort((a, b) => a.displayName.localeCompare(b.displayName));
  const targetId = scope === "user" ? userId : channelId;

  async function submit(e: FormEvent) {
    e.preventDefault();
    const m = parseMatter(matter);
    if ("error" in m) return setError(m.error);
    if (!targetId) return setError(scope === "user" ? "Choose the user the hold covers." : "Choose the channel the hold covers.");
    setBusy(true);
    setError(undefined);
    try {
      await chat.client.api.call("createHold", { body: { matter: m.matter, scope, targetId, note: note.trim() } });
      props.onPlaced();
    } catch (err) {
      setError(
        isParleyError(err, "already_exists")
          ? `This ${scope} is already under an active hold for “${m.matter}”.`
          : isParleyError(err, "not_found")
            ? `That ${scope} no longer exists.`
            : describeAccessError(err),
      );
      setBusy(false);
    }
  }

  return (
    <Modal title="Place a legal hold" onClose={() => !busy && props.onClose()}>
      <form onSubmit={submit} aria-label="Place a legal hold" noValidate className="hold-form">
        <label className="block">
          Matter
          <input value={matter} onChange={(e) => setMatter(e.target.value)} maxLength={120} placeholder="SEC inquiry 2026-14" disabled={busy} />
        </label>
        <fieldset className="plain">
          <legend>Covers</legend>
          <label className="check-inline">
            <input type="radio" name="hold-scope" checked={scope === "user"} onChange={() => setScope("user")} disabled={busy} /> A user's communications
          </label>
          <label className="check-inline">
            <input type="radio" name="hold-scope" checked={scope === "channel"} onChange={() => setScope("channel")} disabled={busy} /> A channel
          </label>
        </fieldset>
        {scope === "user" ? (
          <label className="block">
            User
            <select value={userId} onChange={(e) => setUserId(e.target.value)} disabled={busy}>
              <option value="">Choose a user…</option>
              {users.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.displayName} (@{u.username}){u.deactivated ? " — deactivated" : ""}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label className="block">
            Channel
            <select value={channelId} onChange={(e) => setChannelId(e.target.value)} disabled={busy || !channels}>
              <option value="">{channels ? "Choose a channel…" : "Loading…"}</option>
              {channels?.map((c) => (
                <option key={c.id} value={c.id}>
                  #{c.name}
                  {c.kind === "private" ? " (private)" : ""}
                </option>
              ))}
            </select>
          </label>
        )}
        <label className="block">
          Note
          <textarea value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} rows={3} disabled={busy} />
        </label>
        <p className="muted">
          {scope === "user"
            ? "What the user sends anywhere, and the whole of every channel they are a member of, is kept past retention and deletion (their own deletes included) until the hold is released."
            : "Everything in the channel is kept past retention and deletion until the hold is released."}
        </p>
        <FormError error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={props.onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Placing…" : "Place hold"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
