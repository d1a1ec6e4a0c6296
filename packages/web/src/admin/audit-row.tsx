/**
 * One audit entry in the Audit tab: time, actor, action, target and result in a row;
 * "Details" opens the facts, the personal data (or that it was erased), the device and
 * the entry's place in the chain, with shortcuts to filter by its actor or target.
 */
import { Fragment, useState } from "react";
import type { AuditEntry } from "@parley/protocol";
import type { ChatStore } from "../client/chat-store.ts";

const COLUMNS = 6;

/** Who acted, in words: a user by name, the system, or an unknown user (a failed sign-in). */
function actorLabel(chat: ChatStore, e: AuditEntry): string {
  if (e.actor.kind === "system") return "System";
  if (e.actor.userId) {
    const u = chat.users.get(e.actor.userId);
    return u ? `${u.displayName} (@${u.username})` : e.actor.userId;
  }
  const named = e.personal?.status === "clear" ? e.personal.data.username : undefined;
  return named ? `Unknown user (tried @${named})` : "Unknown user";
}

/** What was acted on, in words where the app knows the object. */
function targetLabel(chat: ChatStore, e: AuditEntry): string {
  if (!e.target) return "—";
  const { kind, id } = e.target;
  if (!id) return kind;
  if (kind === "user") {
    const u = chat.users.get(id);
    if (u) return `${u.displayName} (@${u.username})`;
  }
  if (kind === "channel") {
    const c = chat.channel(id);
    if (c) return c.kind === "public" || c.kind === "private" ? `#${c.name}` : chat.channelTitle(c);
  }
  if (kind === "org" && id === chat.org.id) return chat.org.name;
  // Ids are long and opaque: the start tells them apart in a list; details show them whole.
  return `${kind} ${id.length > 14 ? `${id.slice(0, 12)}…` : id}`;
}

const when = (at: number) => new Date(at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

function PersonalData({ e }: { e: AuditEntry }) {
  const p = e.personal;
  if (!p) return <span className="muted">none</span>;
  if (p.status === "erased") return <span>Erased: the person's audit key was shredded (GDPR erasure)</span>;
  if (p.status === "unreadable")
    return (
      <span className="danger-text">
        Unreadable: the sealed data is damaged (run <code>parley audit verify</code>)
      </span>
    );
  return (
    <>
      {Object.entries(p.data).map(([k, v]) => (
        <Fragment key={k}>
          <code>{k}</code> {v}{" "}
        </Fragment>
      ))}
    </>
  );
}

export function AuditRow(props: { chat: ChatStore; entry: AuditEntry; onFilter: (f: { actor?: string; target?: string }) => void }) {
  const { chat, entry: e } = props;
  const [open, setOpen] = useState(false);
  const details = Object.entries(e.details);
  const actorId = e.actor.userId;
  const targetId = e.target?.id;
  return (
    <>
      <tr className={`audit-${e.result}`}>
        <td>
          <time dateTime={new Date(e.at).toISOString()}>{when(e.at)}</time>
        </td>
        <td>{actorLabel(chat, e)}</td>
        <td>
          <code>{e.action}</code>
        </td>
        <td>{targetLabel(chat, e)}</td>
        <td>
          <span className={`result result-${e.result}`}>{e.result}</span>
        </td>
        <td className="row-actions">
          <button type="button" aria-expanded={open} aria-label={`Details of entry ${e.seq}`} onClick={() => setOpen(!open)}>
            Details
          </button>
        </td>
      </tr>
      {open ? (
        <tr className="audit-details">
          <td colSpan={COLUMNS}>
            <dl aria-label={`Entry ${e.seq}`}>
              <dt>Details</dt>
              <dd>
                {details.length ? (
                  details.map(([k, v]) => (
                    <Fragment key={k}>
                      <code>{k}</code> {show(v)}{" "}
                    </Fragment>
                  ))
                ) : (
                  <span className="muted">none</span>
                )}
              </dd>
              <dt>Personal data</dt>
              <dd>
                <PersonalData e={e} />
              </dd>
              <dt>Target</dt>
              <dd>{e.target ? `${e.target.kind}${e.target.id ? ` ${e.target.id}` : ""}` : <span className="muted">none</span>}</dd>
              <dt>Actor</dt>
              <dd>
                {e.actor.kind}
                {e.actor.userId ? ` · user ${e.actor.userId}` : ""}
                {e.actor.deviceId ? ` · device ${e.actor.deviceId}` : ""}
              </dd>
              <dt>Entry</dt>
              <dd>
                seq {e.seq} · <span title={e.hash}>hash {e.hash.slice(0, 16)}…</span>
              </dd>
            </dl>
            <div className="row-actions">
              {actorId ? (
                <button type="button" onClick={() => props.onFilter({ actor: actorId })}>
                  Only this actor
                </button>
              ) : null}
              {targetId ? (
                <button type="button" onClick={() => props.onFilter({ target: targetId })}>
                  Only this target
                </button>
              ) : null}
            </div>
          </td>
        </tr>
      ) : null}
    </>
  );
}
