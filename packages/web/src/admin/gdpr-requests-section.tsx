/**
 * Admin console → Compliance → GDPR requests: the register of data-subject requests (pending
 * first) — members' erasure requests and every export made — with what officers can do about
 * them: download a user's data export (a ZIP the server makes; recorded in the register),
 * decline an erasure request saying why (the user sees the answer), or erase the user
 * (erase-user-dialog.tsx; refused while a legal hold covers them).
 */
import { useCallback, useEffect, useState } from "react";
import type { GdprRequest } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { downloadDataExport } from "../account/data-export.ts";
import { describeAccessError } from "./access-text.ts";
import { describeDeclineError, isErased, requestKind, requestStatus } from "./compliance-text.ts";
import { EraseUserDialog, type EraseTarget } from "./erase-user-dialog.tsx";

type Shown = "all" | "pending";

const when = (t: number) => new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

export function GdprRequestsSection() {
  const chat = useChat();
  const api = chat.client.api;
  const [shown, setShown] = useState<Shown>("all");
  const [requests, setRequests] = useState<GdprRequest[]>();
  const [error, setError] = useState<string>();
  const [declining, setDeclining] = useState<GdprRequest>();
  const [reason, setReason] = useState("");
  const [erasing, setErasing] = useState<EraseTarget>();
  const load = useCallback(
    () =>
      api.call("listGdprRequests", { query: { status: shown } }).then(
        (r) => (setRequests(r.requests), setError(undefined)),
        (err: unknown) => setError(describeAccessError(err)),
      ),
    [api, shown],
  );
  useEffect(() => {
    setRequests(undefined);
    void load();
  }, [load]);
  const who = (id: string | null) => (id ? chat.userName(id) : "System");
  const subject = (r: GdprRequest) => {
    const u = chat.users.get(r.userId);
    return u && !isErased([r], r.userId) ? `${u.displayName} (@${r.username})` : `@${r.username}`;
  };

  return (
    <section aria-labelledby="gdpr-title">
      <h2 id="gdpr-title">GDPR requests</h2>
      <p className="note">
        Members ask for their erasure from their profile; every data export, theirs or an officer's, is recorded here too. Answer an erasure request without
        undue delay (GDPR Art. 12(3)): erase the user, or decline it saying why. A legal hold on the user refuses the erasure.
      </p>
      <ForUser onExported={() => void load()} onErase={setErasing} />
      <div className="inline-fields">
        <label>
          Requests
          <select value={shown} onChange={(e) => setShown(e.target.value as Shown)}>
            <option value="all">All requests</option>
            <option value="pending">Pending only</option>
          </select>
        </label>
      </div>
      <FormError error={error} />
      {requests === undefined ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : requests.length === 0 ? (
        <p className="muted">{shown === "pending" ? "No pending requests." : "No data-subject request yet."}</p>
      ) : (
        <table className="table" aria-label="Data-subject requests">
          <thead>
            <tr>
              <th scope="col">Subject</th>
              <th scope="col">Request</th>
              <th scope="col">Status</th>
              <th scope="col">Note</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {requests.map((r) => (
              <tr key={r.id} className={r.status === "pending" ? undefined : "inactive"}>
                <td>
                  {subject(r)}
                  {r.held && r.status === "pending" ? (
                    <>
                      {" "}
                      <span className="badge warn">Legal hold</span>
                    </>
                  ) : null}
                </td>
                <td>
                  {requestKind(r)}
                  <div className="muted">
                    {r.requestedBy === r.userId ? "By the user" : `By ${who(r.requestedBy)}`},{" "}
                    <time dateTime={new Date(r.requestedAt).toISOString()}>{when(r.requestedAt)}</time>
                  </div>
                </td>
                <td>
                  {r.status === "pending" ? <span className="badge warn">Pending</span> : requestStatus(r)}
                  {r.decidedAt !== null && r.kind === "erase" ? (
                    <div className="muted">
                      {who(r.decidedBy)}, <time dateTime={new Date(r.decidedAt).toISOString()}>{when(r.decidedAt)}</time>
                    </div>
                  ) : null}
                  {r.response ? <div className="muted">“{r.response}”</div> : null}
                </td>
                <td>{r.note || <span className="muted">—</span>}</td>
                <td className="row-actions">
                  {r.kind === "erase" && r.status === "pending" ? (
                    <>
                      <button type="button" onClick={() => (setReason(""), setDeclining(r))} aria-label={`Decline the erasure request of @${r.username}`}>
                        Decline
                      </button>
                      <button
                        type="button"
                        className="danger"
                        onClick={() => setErasing({ userId: r.userId, username: r.username, held: r.held })}
                        aria-label={`Erase @${r.username}`}
                      >
                        Erase…
                      </button>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {declining ? (
        <ConfirmDialog
          title={`Decline @${declining.username}'s erasure request?`}
          confirmLabel="Decline request"
          busyLabel="Declining…"
          describe={describeDeclineError}
          onConfirm={async () => {
            if (!reason.trim()) throw new Error("Say why the request is declined: the user sees your answer.");
            await api.call("declineGdprRequest", { params: { id: declining.id }, body: { response: reason.trim() } });
            setDeclining(undefined);
            void load();
          }}
          onClose={() => setDeclining(undefined)}
        >
          <p>
            The account and its data stay. GDPR Art. 12(4) asks you to tell the user why, and that they may complain to a supervisory authority: they see your
            answer in their profile.
          </p>
          <label className="block">
            Reason
            <textarea value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} rows={3} placeholder="Records we must keep until 2031" />
          </label>
        </ConfirmDialog>
      ) : null}
      {erasing ? (
        <EraseUserDialog
          target={erasing}
          onErased={() => {
            void load();
            void chat.refreshUsers().catch(() => undefined);
          }}
          onClose={() => setErasing(undefined)}
        />
      ) : null}
    </section>
  );
}

/** Act for any user (a request that came by email or letter): download their data, or erase them. */
function ForUser(props: { onExported: () => void; onErase: (t: EraseTarget) => void }) {
  const chat = useChat();
  const [userId, setUserId] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const users = [...chat.users.values()].filter((u) => !u.username.startsWith("erased-")).sort((a, b) => a.displayName.localeCompare(b.displayName));
  const picked = chat.users.get(userId);

  async function download() {
    if (!picked) return;
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      setSaved(`Saved ${await downloadDataExport(chat, picked.id)}: the server's data about @${picked.username}. The export is recorded below.`);
      props.onExported();
    } catch (err) {
      setError(describeAccessError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="gdpr-user">
      <div className="inline-fields">
        <label>
          Data subject
          <select value={userId} onChange={(e) => (setUserId(e.target.value), setSaved(undefined), setError(undefined))} disabled={busy}>
            <option value="">Choose a user…</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.displayName} (@{u.username}){u.deactivated ? " — deactivated" : ""}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void download()} disabled={busy || !picked}>
          {busy ? "Preparing…" : "Download their data"}
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => picked && props.onErase({ userId: picked.id, username: picked.username })}
          disabled={busy || !picked || picked.id === chat.me.id}
        >
          Erase…
        </button>
      </div>
      <FormError error={error} />
      {saved ? (
        <p className="verified" role="status">
          {saved}
        </p>
      ) : null}
    </div>
  );
}
