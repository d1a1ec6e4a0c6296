/**
 * Inserting channel events: every writer (sends, commits, Remove proposals,
 * resets) inserts the rows it claimed seqs for (sequence.ts) through here, and
 * announces them on the bus after its transaction commits ("channel.event").
 */
import type { Tx } from "../../platform/db/index.ts";
import type { EventRow } from "../messages/store.ts";

/** Rows per INSERT (keeps multi-row inserts under the databases' parameter limits). */
const INSERT_CHUNK = 500;

/** Insert channel events whose seqs were claimed in this transaction. */
export async function insertEvents(tx: Tx, rows: readonly EventRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) await tx.insertInto("events").values(rows.slice(i, i + INSERT_CHUNK)).execute();
}
