/**
 * The Audit tab's data: pages of `GET /audit` for one set of filters, newest first,
 * appended as the admin scrolls (the cursor is the last page's `nextCursor`). A change
 * of filters starts over; an answer for filters no longer shown is dropped.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { AuditEntry } from "@parley/protocol";
import type { Api } from "@parley/sdk";
import { describeError } from "../client/session.ts";

/** What the admin filters by (empty fields: no filter). */
export interface AuditFilters {
  /** A user id. */
  actor?: string | undefined;
  /** An action, or a prefix ending in a dot (`channel.`). */
  action?: string | undefined;
  /** An object id. */
  target?: string | undefined;
  /** Unix ms, inclusive. */
  from?: number | undefined;
  /** Unix ms, exclusive. */
  to?: number | undefined;
}

/** Entries per request: a screenful or two. */
const AUDIT_PAGE = 50;

interface State {
  entries: AuditEntry[];
  /** No older entries to load. */
  done: boolean;
  loading: boolean;
  error: string | undefined;
}

const FRESH: State = { entries: [], done: false, loading: true, error: undefined };

/** The query of one request: the filters that are set, the cursor, the page size. */
function queryOf(f: AuditFilters, cursor: number | undefined) {
  return {
    ...(f.actor ? { actor: f.actor } : {}),
    ...(f.action ? { action: f.action } : {}),
    ...(f.target ? { target: f.target } : {}),
    ...(f.from !== undefined ? { from: f.from } : {}),
    ...(f.to !== undefined ? { to: f.to } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
    limit: AUDIT_PAGE,
  };
}

/** Entries loaded so far for `filters`, and `loadMore()` for the next (older) page. */
export function useAuditLog(api: Pick<Api, "call">, filters: AuditFilters): State & { loadMore: () => Promise<void> } {
  const [state, setState] = useState<State>(FRESH);
  // Which filters the requests in flight belong to, where the next page starts, whether one is running.
  const run = useRef({ generation: 0, cursor: undefined as number | undefined, busy: false, done: false });
  const key = JSON.stringify(filters);

  const loadMore = useCallback(async () => {
    const r = run.current;
    if (r.busy || r.done) return;
    r.busy = true;
    const generation = r.generation;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    try {
      const page = await api.call("listAudit", { query: queryOf(JSON.parse(key) as AuditFilters, r.cursor) });
      if (generation !== run.current.generation) return;
      r.cursor = page.nextCursor ?? undefined;
      r.done = page.nextCursor === null;
      setState((s) => ({ entries: [...s.entries, ...page.entries], done: r.done, loading: false, error: undefined }));
    } catch (err) {
      if (generation === run.current.generation) setState((s) => ({ ...s, loading: false, error: describeError(err) }));
    } finally {
      if (generation === run.current.generation) r.busy = false;
    }
  }, [api, key]);

  useEffect(() => {
    run.current = { generation: run.current.generation + 1, cursor: undefined, busy: false, done: false };
    setState(FRESH);
    void loadMore();
  }, [loadMore]);

  return { ...state, loadMore };
}
