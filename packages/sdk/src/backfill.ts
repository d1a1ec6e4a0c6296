import type { Event } from "@parley/protocol";
import type { Api } from "./http.ts";
import type { LocalStore } from "./store.ts";

/**
 * Events (after, upTo] of a channel, oldest first: the local copy when it is
 * complete, else pages from the server (for the E2EE engine's catch-up).
 */
export async function eventsBetween(store: LocalStore, api: Api, channelId: string, after: number, upTo: number): Promise<Event[]> {
  const local = (await store.listEvents(channelId, { after })).filter((e) => e.seq <= upTo);
  if (local.length === upTo - after && local[0]?.seq === after + 1) return local;
  const out: Event[] = [];
  let from = after;
  while (from < upTo) {
    const r = await api.call("listEvents", { params: { channelId }, query: { after: from, limit: 200 } });
    for (const e of r.events) if (e.seq <= upTo) out.push(e);
    if (!r.hasMore || r.events.length === 0) break;
    from = r.events[r.events.length - 1]!.seq;
  }
  return out;
}
