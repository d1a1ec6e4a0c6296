/**
 * The key the SFU room secrets derive from: 32 random bytes made on first use and kept in
 * `meta`, sealed by platform/kms (server-wide data key), so every node of a cluster derives
 * the same secret for a call's room and can destroy what another node created. Clients never
 * see a room secret: only the server manages rooms.
 */
import crypto from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/tables.ts";
import type { Kms } from "../kms/kms.ts";

const META_KEY = "sfu.room-key";
const SEAL_CONTEXT = "meta/sfu.room-key";

/** Load (or make and store) the room key; returns the derivation of a call's room secret. */
export async function loadRoomSecrets(db: Kysely<Database>, kms: Kms): Promise<(callId: string) => string> {
  const read = () => db.selectFrom("meta").select("value").where("key", "=", META_KEY).executeTakeFirst();
  let row = await read();
  if (!row) {
    const sealed = await kms.seal(crypto.randomBytes(32), SEAL_CONTEXT);
    // Two nodes starting at once may both try: the first insert wins and both read it back.
    await db
      .insertInto("meta")
      .values({ key: META_KEY, value: sealed })
      .onConflict((oc) => oc.column("key").doNothing())
      .execute();
    row = await read();
    if (!row) throw new Error("the SFU room key could not be stored");
  }
  const key = Buffer.from(await kms.open(row.value, SEAL_CONTEXT));
  return (callId) => crypto.createHmac("sha256", key).update(`parley-sfu-room:${callId}`).digest("base64url");
}
