/**
 * Appending channel events: every writer (sends, commits, Remove proposals,
 * resets) inserts the rows it claimed seqs for (sequence.ts) through here, and
 * here they are emitted ("channel.event", delivered after the commit by the bus
 * outbox relay) — the one place that announces channel events.
 */
import type { Event } from "@parley/protocol";
import type { AfterCommit } from "../../command.ts";
import type { Tx } from "../../platform/db/index.ts";
import { toEvent, type EventRow } from "../messages/store.ts";

/** Rows per INSERT (keeps multi-row inserts under the databases' parameter limits). */
const INSERT_CHUNK = 500;

/** A new channel event: its row (seq claimed in this transaction) and its org. */
export interface NewEvent {
  orgId: string;
  row: EventRow;
  /** The content as base64, when the writer has it already (saves encoding it again). */
  contentB64?: string;
}

/** Insert channel events whose seqs were claimed in this transaction and emit them; returns them as the API shows them. */
export async function appendEvents(tx: Tx, fx: Pick<AfterCommit, "publish">, items: readonly NewEvent[]): Promise<Event[]> {
  for (let i = 0; i < items.length; i += INSERT_CHUNK)
    await tx
      .insertInto("events")
      .values(items.slice(i, i + INSERT_CHUNK).map((it) => it.row))
      .execute();
  return items.map((it) => {
    const event = toEvent(it.row, it.contentB64);
    fx.publish("channel.event", { orgId: it.orgId, event });
    return event;
  });
}
