/**
 * Admin console → Roles & policies → Dry run: "who could do X on Y". Pick an action and (for
 * channel actions) a channel; the server runs every active user through the real checks —
 * roles, membership, then the enabled policies, and optionally the editor's draft — and this
 * lists each user's decision, the policies that deny, and who the draft would affect.
 */
import { useEffect, useState } from "react";
import { OrgPermission, type Channel, type DryRunUser, type PolicyAction } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { orgChannels } from "../client/extras.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { CHANNEL_ACTION_TEXT, describePolicyRefusal, isChannelAction, PERMISSION_TEXT, type PolicyRefusal } from "./access-text.ts";
import { PolicyRefusalView } from "./policy-refusal.tsx";

type Result = { users: DryRunUser[]; affected: string[]; withDraft: boolean };

const ACTIONS = [...(Object.keys(CHANNEL_ACTION_TEXT) as PolicyAction[]), ...OrgPermission.options];
const actionText = (a: PolicyAction) => (isChannelAction(a) ? CHANNEL_ACTION_TEXT[a] : PERMISSION_TEXT[a]);

export function DryRunPanel(props: { draft: { text: string; replaces?: string } | undefined }) {
  const chat = useChat();
  const [channels, setChannels] = useState<Channel[]>([]);
  const [action, setAction] = useState<PolicyAction>("channel.read");
  const [channelId, setChannelId] = useState("");
  const [useDraft, setUseDraft] = useState(false);
  const [result, setResult] = useState<Result>();
  const [error, setError] = useState<string>();
  const [refusal, setRefusal] = useState<PolicyRefusal>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    orgChannels(chat).then(
      (list) => setChannels(list.filter((c) => c.kind === "public" || c.kind === "private").sort((a, b) => a.name.localeCompare(b.name))),
      () => setChannels([]),
    );
  }, [chat]);
  const draft = useDraft && props.draft?.text.trim() ? props.draft : undefined;

  async function run() {
    setError(undefined);
    setRefusal(undefined);
    if (isChannelAction(action) && !channelId) return setError("Choose a channel.");
    setBusy(true);
    try {
      const r = await chat.client.api.call("dryRunPolicy", {
        body: { action, ...(isChannelAction(action) ? { channelId } : {}), ...(draft ? { draft } : {}) },
      });
      setResult({ users: r.users, affected: r.affected, withDraft: draft !== undefined });
    } catch (err) {
      setResult(undefined);
      setRefusal(describePolicyRefusal(err));
    } finally {
      setBusy(false);
    }
  }

  const affected = new Set(result?.affected ?? []);
  return (
    <section aria-labelledby="dry-run-title">
      <h2 id="dry-run-title">Dry run: who could do this?</h2>
      <form
        aria-label="Dry run"
        className="inline-fields"
        onSubmit={(ev) => {
          ev.preventDefault();
          void run();
        }}
      >
        <label>
          Action
          <select aria-label="Action" value={action} onChange={(ev) => setAction(ev.target.value as PolicyAction)}>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a} — {actionText(a)}
              </option>
            ))}
          </select>
        </label>
        {isChannelAction(action) ? (
          <label>
            Channel
            <select aria-label="Channel" value={channelId} onChange={(ev) => setChannelId(ev.target.value)}>
              <option value="">Choose…</option>
              {channels.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.kind === "private" ? "🔒 " : "# "}
                  {c.name}
                  {c.labels.length ? ` [${c.labels.join(", ")}]` : ""}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <label className="check">
          <input type="checkbox" checked={useDraft} disabled={!props.draft?.text.trim()} onChange={(ev) => setUseDraft(ev.target.checked)} /> With the editor's
          draft
        </label>
        <button type="submit" disabled={busy}>
          {busy ? "Running…" : "Run"}
        </button>
      </form>
      <FormError error={error} />
      <PolicyRefusalView refusal={refusal} />
      {result ? (
        <>
          <p role="status">
            {result.withDraft
              ? `${result.affected.length} user(s) whose access the draft changes.`
              : `${result.users.filter((u) => u.allowed).length} allowed, ${result.users.filter((u) => !u.allowed).length} denied; ${result.affected.length} denied by a policy.`}
          </p>
          <table className="table" aria-label="Dry run result">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Now</th>
                {result.withDraft ? <th scope="col">With the draft</th> : null}
                <th scope="col">Why denied</th>
              </tr>
            </thead>
            <tbody>
              {result.users.map((u) => (
                <tr key={u.userId} className={affected.has(u.userId) ? "affected" : ""}>
                  <td>
                    {u.displayName} <span className="muted">@{u.username}</span>
                    {affected.has(u.userId) ? <span className="badge warn">affected</span> : null}
                  </td>
                  <td>{[u.role, ...u.customRoles].join(", ")}</td>
                  <td>{u.allowed ? "Allowed" : "Denied"}</td>
                  {result.withDraft ? <td>{u.allowedWithDraft ? "Allowed" : "Denied"}</td> : null}
                  <td>{u.deniedBy.length ? u.deniedBy.map((n) => `“${n}”`).join(", ") : (u.reason ?? "")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
