/**
 * Admin console: the org's audit log (GET /audit), newest first. Filters by actor,
 * action (exact, or a prefix ending in a dot), target id and time range; older pages
 * load as the list is scrolled near its end (or with the button at the end, for
 * keyboards), and a list too short to scroll fills itself. Every page the server
 * returns is itself recorded (`audit.read`), so reopening the tab shows the reads on top.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { AuditActionFilter } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { useAuditLog, type AuditFilters } from "./audit-log.ts";
import { AuditRow } from "./audit-row.tsx";

/** Load the next page once the end of the list is this close (px). */
const NEAR_END = 300;

/** Suggestions for the action field: whole actions and prefixes (docs/audit.md lists them all). */
const ACTIONS = [
  "auth.",
  "auth.login.failed",
  "auth.login.succeeded",
  "session.revoked",
  "device.revoked",
  "user.",
  "user.role.changed",
  "user.deactivated",
  "user.devices.read",
  "org.invite.",
  "org.mls_suite.changed",
  "channel.",
  "channel.created",
  "channel.member.",
  "e2ee.",
  "mls.encryption.reset",
  "file.deleted",
  "audit.",
  "audit.read",
  "audit.exported",
];

interface Draft {
  actor: string;
  action: string;
  target: string;
  from: string;
  to: string;
}
const NO_DRAFT: Draft = { actor: "", action: "", target: "", from: "", to: "" };

/** The filters a filled-in form asks for, or what is wrong with it. */
function filtersOf(d: Draft): AuditFilters | string {
  const action = d.action.trim();
  if (action && !AuditActionFilter.safeParse(action).success)
    return "Action: a whole action such as channel.created, or a prefix ending in a dot such as channel.";
  const time = (v: string, name: string) => {
    if (!v) return undefined;
    const ms = new Date(v).getTime();
    return Number.isNaN(ms) ? `${name} is not a date and time` : ms;
  };
  const from = time(d.from, "From");
  const to = time(d.to, "To");
  if (typeof from === "string") return from;
  if (typeof to === "string") return to;
  if (from !== undefined && to !== undefined && from >= to) return "“To” must be after “From”.";
  return { actor: d.actor || undefined, action: action || undefined, target: d.target.trim() || undefined, from, to };
}

export function AuditTab() {
  const chat = useChat();
  const [draft, setDraft] = useState<Draft>(NO_DRAFT);
  const [filters, setFilters] = useState<AuditFilters>({});
  const [formError, setFormError] = useState<string>();
  const log = useAuditLog(chat.client.api, filters);
  const list = useRef<HTMLDivElement>(null);
  const users = [...chat.users.values()].sort((a, b) => a.displayName.localeCompare(b.displayName));

  const { loading, done, error, loadMore } = log;
  // Near the end of a laid-out list (a hidden one has no height: nothing to fill).
  const loadIfNearEnd = useCallback(() => {
    const el = list.current;
    if (!el || el.clientHeight === 0 || loading || done || error) return;
    if (el.scrollHeight - el.scrollTop - el.clientHeight <= NEAR_END) void loadMore();
  }, [loading, done, error, loadMore]);
  // After each page: a list that does not reach past the end of its box yet loads the next one.
  useEffect(loadIfNearEnd, [loadIfNearEnd, log.entries.length]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const f = filtersOf(draft);
    if (typeof f === "string") {
      setFormError(f);
      return;
    }
    setFormError(undefined);
    setFilters(f);
  };
  const only = (f: { actor?: string; target?: string }) => {
    const next = { ...draft, ...f };
    setDraft(next);
    const parsed = filtersOf(next);
    if (typeof parsed !== "string") setFilters(parsed);
  };
  const set = (k: keyof Draft) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });

  return (
    <div className="audit">
      <form className="audit-filters" aria-label="Audit filters" onSubmit={apply}>
        <label>
          Actor
          <select value={draft.actor} onChange={set("actor")}>
            <option value="">Anyone</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.displayName} (@{u.username}){u.deactivated ? " · deactivated" : ""}
              </option>
            ))}
          </select>
        </label>
        <label>
          Action
          <input value={draft.action} onChange={set("action")} list="audit-actions" placeholder="e.g. channel." spellCheck={false} />
        </label>
        <datalist id="audit-actions">
          {ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <label>
          Target
          <input value={draft.target} onChange={set("target")} placeholder="an object id" spellCheck={false} />
        </label>
        <label>
          From
          <input type="datetime-local" value={draft.from} onChange={set("from")} />
        </label>
        <label>
          To
          <input type="datetime-local" value={draft.to} onChange={set("to")} />
        </label>
        <div className="row-actions">
          <button type="submit" className="primary">
            Apply
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(NO_DRAFT);
              setFormError(undefined);
              setFilters({});
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <FormError error={formError} />
      <div className="audit-list" ref={list} onScroll={loadIfNearEnd} data-testid="audit-list">
        <table className="table" aria-label="Audit log">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Result</th>
              <th scope="col">
                <span className="sr-only">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {log.entries.map((e) => (
              <AuditRow key={e.seq} chat={chat} entry={e} onFilter={only} />
            ))}
          </tbody>
        </table>
        <div className="audit-end">
          <FormError error={error} />
          {loading ? (
            <p className="muted" role="status">
              Loading…
            </p>
          ) : done ? (
            <p className="muted">{log.entries.length ? "The beginning of the log." : "No entries match these filters."}</p>
          ) : (
            <button type="button" onClick={() => void loadMore()}>
              {error ? "Try again" : "Load older entries"}
            </button>
          )}
        </div>
      </div>
    </div>
  );
}
