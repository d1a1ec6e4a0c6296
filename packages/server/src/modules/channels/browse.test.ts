/** The channel directory: search by name or topic in the database, bounded pages, public channels of the caller's org only. */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";

const names = (body: { channels: Array<{ name: string }> }) => body.channels.map((c) => c.name);

for (const dialect of DIALECTS) {
  describe(`channel directory (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let alice: TestUser;
    let other: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      alice = await makeUser(s, owner);
      other = await makeOrg(s, "other");
      for (const [name, topic] of [
        ["Alpha", "release planning"],
        ["beta", "RELEASE notes"],
        ["gamma", "lunch"],
        ["100%_done", "literal wildcards"],
        ["delta", ""],
      ])
        assert.equal((await owner.api("POST", "/channels", { kind: "public", name, topic })).status, 201);
      await owner.api("POST", "/channels", { kind: "private", name: "release-private", topic: "release" });
      await other.api("POST", "/channels", { kind: "public", name: "release-elsewhere", topic: "release" });
    });
    after(() => s.stop());

    it("matches name or topic, ignoring case, sorted by name; never private channels or other orgs'", async () => {
      assert.deepEqual(names((await alice.api("GET", "/channels/browse?q=Release")).body), ["Alpha", "beta"]);
      assert.deepEqual(names((await alice.api("GET", "/channels/browse?q=LUN")).body), ["gamma"]);
      assert.deepEqual(names((await alice.api("GET", "/channels/browse?q=ALP")).body), ["Alpha"]);
      assert.deepEqual(names((await alice.api("GET", "/channels/browse")).body), ["100%_done", "Alpha", "beta", "delta", "gamma"]);
      assert.deepEqual(names((await other.api("GET", "/channels/browse?q=release")).body), ["release-elsewhere"]);
    });

    it("treats % and _ in the query as plain characters", async () => {
      assert.deepEqual(names((await alice.api("GET", "/channels/browse?q=%25")).body), ["100%_done"]);
      assert.deepEqual(names((await alice.api("GET", "/channels/browse?q=_")).body), ["100%_done"]);
    });

    it("pages with limit and offset and says whether more follow", async () => {
      const first = await alice.api("GET", "/channels/browse?limit=2");
      assert.deepEqual([names(first.body), first.body.hasMore], [["100%_done", "Alpha"], true]);
      const last = await alice.api("GET", "/channels/browse?limit=2&offset=4");
      assert.deepEqual([names(last.body), last.body.hasMore], [["gamma"], false]);
    });

    it("refuses bad paging and over-long queries", async () => {
      for (const q of ["limit=0", "limit=1000", "offset=-1", `q=${"x".repeat(81)}`]) {
        const r = await alice.api("GET", `/channels/browse?${q}`);
        assert.equal(r.status, 400, q);
        assert.equal(r.body.code, "validation_failed");
      }
    });
  });
}
