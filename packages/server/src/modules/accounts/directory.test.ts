import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";

type Page = { users: Array<{ username: string; email?: string | null; deactivated: boolean }>; nextCursor: string | null };

for (const dialect of DIALECTS) {
  describe(`people directory (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let member: TestUser;
    let other: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      other = await makeOrg(s, "other");
      member = await makeUser(s, owner, { username: "m-member", displayName: "Mia Member" });
      const people: Array<[string, string, string]> = [
        ["d-ada", "Ada Lovelace", "Analyst"],
        ["d-bob", "Bob Builder", "Site Engineer"],
        ["d-cleo", "Cleo Patra", "Head of Sales"],
        ["d-dan", "Dan Brown", "Engineer"],
        ["d-eve", "Eve Online", "QA_lead 100%"],
      ];
      for (const [username, displayName, title] of people) {
        const u = await makeUser(s, owner, { username, displayName });
        assert.equal((await u.api("PATCH", "/me", { title })).status, 200);
      }
      const gone = await makeUser(s, owner, { username: "d-gone", displayName: "Gone Engineer" });
      assert.equal((await owner.api("POST", `/users/${gone.user.id}/deactivate`)).status, 200);
      await makeUser(s, other, { username: "d-outsider", displayName: "Engineer Elsewhere" });
    });
    after(() => s.stop());

    const names = (p: Page) => p.users.map((u) => u.username);

    it("pages through the org's active users by username with a cursor", async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r: { status: number; body: unknown } = await member.api("GET", `/directory?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
        assert.equal(r.status, 200);
        const page = r.body as Page;
        assert.ok(page.users.length <= 2);
        seen.push(...names(page));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      assert.deepEqual(seen, ["d-ada", "d-bob", "d-cleo", "d-dan", "d-eve", "m-member", "owner"]);
      assert.equal(pages, 4);
    });

    it("searches name, username and title; wildcards are literal; members see no email", async () => {
      const q = async (term: string) => (await member.api("GET", `/directory?q=${encodeURIComponent(term)}`)).body as Page;
      assert.deepEqual(names(await q("engineer")), ["d-bob", "d-dan"], "title, case-insensitive; deactivated and other org excluded");
      assert.deepEqual(names(await q("LOVE")), ["d-ada"], "display name");
      assert.deepEqual(names(await q("d-c")), ["d-cleo"], "username");
      assert.deepEqual(names(await q("_lead 100%")), ["d-eve"], "LIKE wildcards match themselves");
      assert.deepEqual(names(await q("a_a")), [], "_ is not a wildcard");
      assert.deepEqual(names(await q("nobody")), []);
      assert.equal((await q("ada")).users[0]!.email, undefined);
      const paged = (await member.api("GET", "/directory?q=e&limit=1")).body as Page;
      assert.equal(paged.users.length, 1);
      assert.ok(paged.nextCursor);
    });

    it("lists deactivated users only when an admin asks", async () => {
      const r = await owner.api("GET", "/directory?q=engineer&includeDeactivated=true");
      assert.equal(r.status, 200);
      assert.deepEqual(names(r.body), ["d-bob", "d-dan", "d-gone"]);
      assert.equal((r.body as Page).users.find((u) => u.username === "d-gone")!.deactivated, true);
      assert.ok("email" in (r.body as Page).users[0]!, "admins see email addresses");
      const refused = await member.api("GET", "/directory?q=engineer&includeDeactivated=true");
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, "forbidden");
    });

    it("refuses bad input with validation_failed", async () => {
      for (const qs of ["limit=0", "limit=101", "limit=x", "cursor=Not%20A%20User!", `q=${"x".repeat(81)}`, "includeDeactivated=yes"]) {
        const r = await member.api("GET", `/directory?${qs}`);
        assert.equal(r.status, 400, qs);
        assert.equal(r.body.code, "validation_failed", qs);
      }
      assert.equal((await fetch(`${s.url}/api/v1/directory`)).status, 401);
    });

    it("another org's principal sees only its own org", async () => {
      const r = (await other.api("GET", "/directory?includeDeactivated=true")).body as Page;
      assert.deepEqual(names(r), ["d-outsider", "owner"]);
      assert.deepEqual(names((await other.api("GET", "/directory?q=lovelace")).body), []);
    });
  });
}
