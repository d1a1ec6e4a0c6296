/**
 * Two active JWT signing keys made in the same millisecond (two nodes' first boot at once): the
 * one that signs is the one `parley keys status` calls active, in whatever order the database
 * compares ids. The loader once broke the tie with localeCompare and the status with the
 * database's ORDER BY id, which disagree on about one pair of ids in five ("key_Z…" vs "key_a…").
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { newId } from "../../platform/ids.ts";
import { signingKeyStatus } from "../keys/index.ts";
import { loadTokenKeys, newKeyRow } from "./tokens.ts";

for (const dialect of DIALECTS) {
  describe(`JWT signing keys made in one millisecond (${dialect})`, () => {
    it("the key that signs is the one the status calls active", async () => {
      const s = await startTestServer({ dialect });
      try {
        const first = await s.deps.db.selectFrom("server_keys").selectAll().where("purpose", "=", "jwt").executeTakeFirstOrThrow();
        // An id that byte order and localeCompare place on different sides of the first one.
        let id = newId("key");
        for (let i = 0; i < 1000 && id < first.id === id.localeCompare(first.id) < 0; i++) id = newId("key");
        assert.notEqual(id < first.id, id.localeCompare(first.id) < 0, "found an id the two orders disagree on");
        await s.deps.db
          .insertInto("server_keys")
          .values(await newKeyRow(s.deps.kms, Number(first.created_at), id))
          .execute();

        const keys = await loadTokenKeys(s.deps.db, Date.now(), s.deps.kms);
        const status = await signingKeyStatus(s.deps);
        const active = status.keys.filter((k) => k.purpose === "jwt" && k.state === "active").map((k) => k.id);
        assert.deepEqual(active, [keys.kid]);
        assert.deepEqual([...keys.publicKeys.keys()].sort(), [first.id, id].sort(), "both verify");
      } finally {
        await s.stop();
      }
    });
  });
}
