/** The personal store: put, list by version, tombstones, last writer wins, limits, live frames, other users and orgs. */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { PERSONAL_LIMITS, type PersonalItem, type ServerFrameOf } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, countRows, loginUser, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { connectUser } from "../../gateway/test-client.ts";

const key = () => crypto.randomBytes(24).toString("base64url");
const sealed = (n = 64) => crypto.randomBytes(n).toString("base64");

for (const dialect of DIALECTS) {
  describe(`personal items (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let alice: TestUser;
    let alice2: TestUser;
    let bob: TestUser;
    let other: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      alice = await makeUser(s, owner);
      // Alice's second device: another sign-in registers another device of the same user.
      alice2 = asTestUser(s, await loginUser(s, "acme", alice.user.username, alice.password, { deviceName: "laptop" }), alice.password);
      bob = await makeUser(s, owner);
      other = await makeOrg(s, "other");
    });
    after(() => s.stop());
    const counts = async () => ({ items: await countRows(s, "personal_items"), stream: await countRows(s, "user_stream") });
    const list = async (u: TestUser, q = "") => (await u.api("GET", `/me/items${q}`)).body as { items: PersonalItem[]; nextCursor: number | null };

    it("stores a sealed item, lists it by version on every device, tells the user's devices live, and deletes to a tombstone", async () => {
      const k = key();
      const sock = await connectUser(s.url, alice2.accessToken);
      try {
        const mark = sock.frames.length;
        const bytes = sealed(100);
        const put = await alice.api("PUT", `/me/items/saved/${k}`, { sealed: bytes, clientTs: 1000 });
        assert.equal(put.status, 200, JSON.stringify(put.body));
        assert.equal(put.body.kind, "saved");
        assert.equal(put.body.key, k);
        assert.equal(put.body.sealed, bytes);
        assert.equal(put.body.clientTs, 1000);
        assert.equal(put.body.deviceId, alice.tokens.deviceId);
        const live = await sock.waitFor<ServerFrameOf<"user">>((f) => f.t === "user" && f.item.kind === "personal.items", 10_000, mark);
        assert.deepEqual(live.item.data, { kind: "saved", version: put.body.version });
        // The other device reads it; a cursor at its version lists nothing newer.
        const seen = await list(alice2, "?kind=saved");
        assert.deepEqual(
          seen.items.find((i) => i.key === k),
          put.body,
        );
        assert.deepEqual((await list(alice2, `?after=${put.body.version}`)).items, []);
        // The row holds exactly the sealed bytes under the opaque key: no channel, seq or text column.
        const row = await s.deps.db.selectFrom("personal_items").selectAll().where("item_key", "=", k).executeTakeFirstOrThrow();
        assert.deepEqual(Object.keys(row).sort(), ["client_ts", "device_id", "item_key", "kind", "org_id", "sealed", "updated_at", "user_id", "version"]);
        assert.equal(Buffer.from(row.sealed!).toString("base64"), bytes);
        // Delete from the second device: a tombstone with a newer version that both devices sync.
        assert.equal((await alice2.api("DELETE", `/me/items/saved/${k}?clientTs=2000`)).status, 204);
        const after = await list(alice, `?after=${put.body.version}`);
        assert.equal(after.items.length, 1);
        assert.equal(after.items[0]!.sealed, null);
        assert.equal(after.items[0]!.clientTs, 2000);
        assert.equal(after.items[0]!.deviceId, alice2.tokens.deviceId);
        assert.ok(after.items[0]!.version > put.body.version);
        // Deleting again, or deleting what never existed, writes nothing.
        const before = await counts();
        assert.equal((await alice.api("DELETE", `/me/items/saved/${k}?clientTs=3000`)).status, 204);
        assert.equal((await alice.api("DELETE", `/me/items/draft/${key()}?clientTs=3000`)).status, 204);
        assert.deepEqual(await counts(), before);
      } finally {
        await sock.close();
      }
    });

    it("two devices editing one draft converge: the newer client timestamp wins, an older write gets personal_item_stale with the stored item", async () => {
      const k = key();
      const newer = await alice2.api("PUT", `/me/items/draft/${k}`, { sealed: sealed(), clientTs: 5000 });
      assert.equal(newer.status, 200);
      const before = await counts();
      const stale = await alice.api("PUT", `/me/items/draft/${k}`, { sealed: sealed(), clientTs: 4000 });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.code, "personal_item_stale");
      assert.deepEqual(stale.body.details.item, newer.body);
      const staleDelete = await alice.api("DELETE", `/me/items/draft/${k}?clientTs=4999`);
      assert.equal(staleDelete.status, 409);
      assert.equal(staleDelete.body.code, "personal_item_stale");
      assert.deepEqual(await counts(), before);
      // A later write from the first device replaces it, with a higher version.
      const later = await alice.api("PUT", `/me/items/draft/${k}`, { sealed: sealed(), clientTs: 6000 });
      assert.equal(later.status, 200);
      assert.ok(later.body.version > newer.body.version);
      const drafts = (await list(alice2, "?kind=draft")).items.filter((i) => i.key === k);
      assert.deepEqual(drafts, [later.body]);
    });

    it("pages through changes with nextCursor, oldest change first", async () => {
      const u = await makeUser(s, owner);
      const made: number[] = [];
      for (let i = 0; i < 5; i++) made.push((await u.api("PUT", `/me/items/setting/${key()}`, { sealed: sealed(), clientTs: i })).body.version);
      const first = await list(u, "?limit=2");
      assert.deepEqual(
        first.items.map((i) => i.version),
        made.slice(0, 2),
      );
      assert.equal(first.nextCursor, made[1]);
      const rest = await list(u, `?after=${first.nextCursor}&limit=10`);
      assert.deepEqual(
        rest.items.map((i) => i.version),
        made.slice(2),
      );
      assert.equal(rest.nextCursor, null);
    });

    it("refuses bad input with clear errors and writes nothing", async () => {
      const before = await counts();
      const k = key();
      const cases: Array<[string, string, unknown, number, string]> = [
        ["PUT", `/me/items/notes/${k}`, { sealed: sealed(), clientTs: 1 }, 400, "validation_failed"],
        ["PUT", `/me/items/saved/short`, { sealed: sealed(), clientTs: 1 }, 400, "validation_failed"],
        ["PUT", `/me/items/saved/${"a".repeat(20)}.x`, { sealed: sealed(), clientTs: 1 }, 400, "validation_failed"],
        ["PUT", `/me/items/saved/${k}`, { sealed: "", clientTs: 1 }, 400, "validation_failed"],
        ["PUT", `/me/items/saved/${k}`, { sealed: "not base64!", clientTs: 1 }, 400, "validation_failed"],
        ["PUT", `/me/items/saved/${k}`, { sealed: sealed(), clientTs: -1 }, 400, "validation_failed"],
        ["PUT", `/me/items/saved/${k}`, { sealed: sealed(PERSONAL_LIMITS.sealedBytes.saved + 1), clientTs: 1 }, 413, "payload_too_large"],
        ["PUT", `/me/items/draft/${k}`, { sealed: sealed(PERSONAL_LIMITS.sealedBytes.draft + 3), clientTs: 1 }, 400, "validation_failed"],
        ["DELETE", `/me/items/saved/${k}`, undefined, 400, "validation_failed"],
      ];
      for (const [method, path, body, status, code] of cases) {
        const r = await alice.api(method, path, body);
        assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, code, `${method} ${path}`);
      }
      // A draft may be larger than a saved item.
      assert.equal((await alice.api("PUT", `/me/items/draft/${k}`, { sealed: sealed(PERSONAL_LIMITS.sealedBytes.saved + 1), clientTs: 1 })).status, 200);
      assert.equal((await counts()).items, before.items + 1);
    });

    it("caps live items per kind with personal_item_limit; a deleted item frees its place", async () => {
      const u = await makeUser(s, owner);
      const keys: string[] = [];
      for (let i = 0; i < PERSONAL_LIMITS.items.setting; i++) {
        keys.push(key());
        assert.equal((await u.api("PUT", `/me/items/setting/${keys[i]}`, { sealed: sealed(), clientTs: 10 })).status, 200);
      }
      const before = await counts();
      const full = await u.api("PUT", `/me/items/setting/${key()}`, { sealed: sealed(), clientTs: 10 });
      assert.equal(full.status, 409);
      assert.equal(full.body.code, "personal_item_limit");
      assert.equal(full.body.details.limit, PERSONAL_LIMITS.items.setting);
      assert.deepEqual(await counts(), before);
      // Replacing a stored item is not a new one; another kind has its own cap.
      assert.equal((await u.api("PUT", `/me/items/setting/${keys[0]}`, { sealed: sealed(), clientTs: 11 })).status, 200);
      assert.equal((await u.api("PUT", `/me/items/saved/${key()}`, { sealed: sealed(), clientTs: 11 })).status, 200);
      assert.equal((await u.api("DELETE", `/me/items/setting/${keys[1]}?clientTs=12`)).status, 204);
      assert.equal((await u.api("PUT", `/me/items/setting/${key()}`, { sealed: sealed(), clientTs: 12 })).status, 200);
    });

    it("keeps each user's items to themselves: another user or org with the same key writes its own item and lists none of alice's", async () => {
      const k = key();
      const mine = await alice.api("PUT", `/me/items/saved/${k}`, { sealed: sealed(), clientTs: 9000 });
      assert.equal(mine.status, 200);
      for (const intruder of [bob, other]) {
        const theirs = (await list(intruder)).items;
        assert.ok(!theirs.some((i) => i.key === k || i.deviceId === alice.tokens.deviceId));
        // The same key names the intruder's own item: an older timestamp is not "stale" against alice's.
        const own = await intruder.api("PUT", `/me/items/saved/${k}`, { sealed: sealed(), clientTs: 1 });
        assert.equal(own.status, 200);
        assert.equal((await intruder.api("DELETE", `/me/items/saved/${k}?clientTs=2`)).status, 204);
      }
      const still = (await list(alice, "?kind=saved")).items.find((i) => i.key === k);
      assert.deepEqual(still, mine.body);
    });
  });
}
