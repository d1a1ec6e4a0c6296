/**
 * 0043: call recording (issue 14). A participant's row says since when its device records the
 * call (null: it does not). The recording itself is made on the device and posted in the
 * channel as an encrypted attachment: the server stores only that someone records, never media.
 * Whether an org allows recording lives in `orgs.settings.callPolicy` (no column).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

export function callRecording(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("call_participants").addColumn("recording_since", "bigint").execute();
    },
  };
}
