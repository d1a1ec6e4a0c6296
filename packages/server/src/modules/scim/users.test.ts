/**
 * SCIM conformance (Users): the request/response examples of RFC 7644 that apply to
 * Parley, against a real server on SQLite and PostgreSQL — discovery (§4), create (§3.3),
 * get (§3.4.1), filters (§3.4.2.2), sorting (§3.4.2.3), paging (§3.4.2.4), attributes
 * (§3.4.2.5), search (§3.4.3), PUT (§3.5.1), PATCH (§3.5.2), DELETE (§3.6), ETags (§3.14)
 * and errors (§3.12). Every rejected request writes nothing; every change is audited with
 * actor kind "scim".
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, countRows, type TestUser } from "../../testing/factories.ts";
import { assertScimError, patchOp, scimCall, scimClient, USER_SCHEMA, type ScimClient } from "../../testing/scim.ts";

/** RFC 7644 §3.3's example body. */
const BJENSEN = {
  schemas: [USER_SCHEMA],
  userName: "bjensen",
  externalId: "bjensen",
  name: { formatted: "Ms. Barbara J Jensen III", familyName: "Jensen", givenName: "Barbara" },
};

/** Rows a rejected SCIM request must not change. */
async function snapshot(s: TestServer): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const t of ["users", "scim_users", "scim_groups", "scim_group_members", "sessions", "audit_log", "channel_members"] as const)
    out[t] = await countRows(s, t);
  out.people = await s.deps.db.selectFrom("users").select(["id", "username", "display_name", "email", "deactivated_at", "role"]).orderBy("id").execute();
  out.scim = await s.deps.db.selectFrom("scim_users").selectAll().orderBy("user_id").execute();
  return out;
}

for (const dialect of DIALECTS) {
  describe(`SCIM Users, RFC 7644 examples (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let idp: ScimClient;
    let bjensenId: string;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "example" });
      idp = await scimClient(s, owner);
    });
    after(() => s.stop());

    it("§4 discovery: ServiceProviderConfig, ResourceTypes, Schemas", async () => {
      const spc = await idp.req("GET", "/ServiceProviderConfig");
      assert.equal(spc.status, 200);
      assert.match(spc.headers.get("content-type") ?? "", /^application\/scim\+json/);
      assert.deepEqual(spc.body.schemas, ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]);
      assert.equal(spc.body.patch.supported, true);
      assert.equal(spc.body.bulk.supported, false);
      assert.equal(spc.body.filter.supported, true);
      assert.equal(spc.body.etag.supported, true);
      assert.equal(spc.body.authenticationSchemes[0].type, "oauthbearertoken");
      const types = await idp.req("GET", "/ResourceTypes");
      assert.deepEqual(
        types.body.Resources.map((r: { id: string; endpoint: string }) => [r.id, r.endpoint]),
        [
          ["User", "/Users"],
          ["Group", "/Groups"],
        ],
      );
      assert.equal((await idp.req("GET", "/ResourceTypes/User")).body.schema, USER_SCHEMA);
      const schemas = await idp.req("GET", "/Schemas");
      assert.equal(schemas.body.totalResults, 2);
      const user = await idp.req("GET", `/Schemas/${USER_SCHEMA}`);
      assert.equal(user.status, 200);
      const userName = user.body.attributes.find((a: { name: string }) => a.name === "userName");
      assert.equal(userName.required, true);
      assert.equal(userName.uniqueness, "server");
      assert.equal(user.body.attributes.find((a: { name: string }) => a.name === "password").returned, "never");
      assertScimError(await idp.req("GET", "/Schemas/urn:nope"), 404);
      assertScimError(await idp.req("POST", "/Bulk", { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: [] }), 501);
      assertScimError(await idp.req("GET", "/Nothing/here"), 404);
    });

    it("§3.3 creates bjensen: 201, Location, ETag, the resource as stored", async () => {
      const r = await idp.req("POST", "/Users", BJENSEN);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.match(r.headers.get("content-type") ?? "", /^application\/scim\+json/);
      bjensenId = r.body.id;
      assert.deepEqual(r.body.schemas, [USER_SCHEMA]);
      assert.equal(r.body.userName, "bjensen");
      assert.equal(r.body.externalId, "bjensen");
      assert.deepEqual(r.body.name, BJENSEN.name);
      assert.equal(r.body.displayName, "Ms. Barbara J Jensen III");
      assert.equal(r.body.active, true);
      assert.equal(r.body.meta.resourceType, "User");
      assert.equal(r.body.meta.location, `${s.url}/scim/v2/Users/${bjensenId}`);
      assert.equal(r.headers.get("location"), r.body.meta.location);
      assert.match(r.body.meta.version, /^W\/"[0-9a-f]+"$/);
      assert.equal(r.headers.get("etag"), r.body.meta.version);
      assert.equal(r.body.meta.created, r.body.meta.lastModified);
      assert.ok(!Number.isNaN(Date.parse(r.body.meta.created)));
      // A Parley account: username from userName, no password, role member.
      const u = await owner.api("GET", `/users/${bjensenId}`);
      assert.equal(u.body.username, "bjensen");
      assert.equal(u.body.role, "member");
      assert.equal((await call(s, "POST", "/auth/login", { org: "example", username: "bjensen", password: "anything-at-all" })).status, 401);
      // Audited as the SCIM client.
      const audit = await s.deps.db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "user.created")
        .where("target_id", "=", bjensenId)
        .executeTakeFirstOrThrow();
      assert.equal(audit.actor_kind, "scim");
      assert.equal(audit.actor_id, idp.tokenId);
    });

    it("§3.3 a duplicate userName is 409 uniqueness (case-insensitively); bad bodies are 400; nothing written", async () => {
      const before = await snapshot(s);
      assertScimError(await idp.req("POST", "/Users", { ...BJENSEN, userName: "BJensen" }), 409, "uniqueness");
      assertScimError(await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "" }), 400, "invalidValue");
      assertScimError(await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "no spaces allowed" }), 400, "invalidValue");
      assertScimError(await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "x1", emails: [{ value: "not-an-address" }] }), 400, "invalidValue");
      assertScimError(await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "x2", active: "maybe" }), 400, "invalidValue");
      assertScimError(await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "x3", password: "short" }), 400, "invalidValue");
      assertScimError(await idp.req("POST", "/Users", "{not json"), 400, "invalidSyntax");
      assertScimError(await idp.req("POST", "/Users", [1, 2]), 400, "invalidValue");
      assert.deepEqual(await snapshot(s), before);
    });

    it("creates users from email-form userNames, with one email address, unique in the org", async () => {
      const r = await idp.req("POST", "/Users", {
        schemas: [USER_SCHEMA],
        userName: "Alice.Smith@Example.com",
        displayName: "Alice Smith",
        emails: [
          { value: "alice@home.example", type: "home" },
          { value: "Alice.Smith@Example.com", type: "work", primary: true },
        ],
        title: "Engineer",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "R&D" },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.userName, "Alice.Smith@Example.com", "userName comes back as sent");
      assert.deepEqual(r.body.emails, [{ value: "alice.smith@example.com", type: "work", primary: true }]);
      assert.equal(r.body.title, undefined, "attributes Parley does not keep are ignored");
      assert.equal((await owner.api("GET", `/users/${r.body.id}`)).body.username, "alice.smith");
      const before = await snapshot(s);
      assertScimError(
        await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "alice2", emails: [{ value: "alice.smith@example.com" }] }),
        409,
        "uniqueness",
      );
      // Another domain, same local part: the derived username is taken.
      assertScimError(await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "alice.smith@other.example" }), 409, "uniqueness");
      assert.deepEqual(await snapshot(s), before);
      // A password the org's policy accepts is set (Okta's password sync).
      const p = await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "pat", password: "a long enough passphrase" });
      assert.equal(p.status, 201);
      assert.equal(p.body.password, undefined, "never returned");
      assert.equal((await call(s, "POST", "/auth/login", { org: "example", username: "pat", password: "a long enough passphrase" })).status, 200);
    });

    it("§3.4.1 gets a user by id; §3.14 If-None-Match answers 304; unknown ids 404", async () => {
      const r = await idp.req("GET", `/Users/${bjensenId}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.id, bjensenId);
      assert.equal(r.headers.get("etag"), r.body.meta.version);
      const cached = await idp.req("GET", `/Users/${bjensenId}`, undefined, { authorization: `Bearer ${idp.token}`, "if-none-match": r.body.meta.version });
      assert.equal(cached.status, 304);
      assert.equal(cached.body, undefined);
      assert.equal(
        (await idp.req("GET", `/Users/${bjensenId}`, undefined, { authorization: `Bearer ${idp.token}`, "if-none-match": 'W/"other"' })).status,
        200,
      );
      assertScimError(await idp.req("GET", "/Users/usr_doesnotexist"), 404);
      // Users made elsewhere are SCIM users too (userName = username).
      const me = await idp.req("GET", `/Users/${owner.user.id}`);
      assert.equal(me.body.userName, "owner");
      assert.equal(me.body.externalId, undefined);
    });

    it("§3.4.2.5 attributes and excludedAttributes", async () => {
      const only = await idp.req("GET", `/Users/${bjensenId}?attributes=userName,name.familyName`);
      assert.deepEqual(Object.keys(only.body).sort(), ["id", "name", "schemas", "userName"]);
      assert.deepEqual(only.body.name, { familyName: "Jensen" });
      const without = await idp.req("GET", `/Users/${bjensenId}?excludedAttributes=name,meta`);
      assert.equal(without.body.name, undefined);
      assert.equal(without.body.meta, undefined);
      assert.equal(without.body.userName, "bjensen");
    });

    it("§3.4.2.2 filters: the RFC's examples and their operators", async () => {
      for (const [userName, family, email] of [
        ["jsmith", "O'Malley", "jsmith@example.com"],
        ["Jane", "Doe", "jane@example.org"],
        ["kim", "Kim", "kim@elsewhere.net"],
      ]) {
        const r = await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName, name: { familyName: family }, emails: [{ value: email, type: "work" }] });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      const names = async (filter: string, status = 200) => {
        const r = await idp.req("GET", `/Users?filter=${encodeURIComponent(filter)}`);
        assert.equal(r.status, status, `${filter}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(r.body.schemas, ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]);
        return (r.body.Resources as Array<{ userName: string }>).map((u) => u.userName).sort();
      };
      assert.deepEqual(await names('userName eq "bjensen"'), ["bjensen"]);
      assert.deepEqual(await names('userName eq "BJENSEN"'), ["bjensen"], "userName is caseExact false");
      assert.deepEqual(await names(`name.familyName co "O'Malley"`), ["jsmith"]);
      assert.deepEqual(await names('userName sw "J"'), ["Jane", "jsmith"]);
      assert.deepEqual(await names('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"'), ["Jane", "jsmith"]);
      assert.deepEqual(await names("title pr"), [], "an attribute Parley does not keep is never present");
      assert.deepEqual(await names('meta.lastModified gt "2011-05-13T04:42:34Z"'), await names("userName pr"));
      assert.deepEqual(await names('meta.lastModified ge "2011-05-13T04:42:34Z"'), await names("userName pr"));
      assert.deepEqual(await names('meta.lastModified lt "2011-05-13T04:42:34Z"'), []);
      assert.deepEqual(await names('meta.lastModified le "2011-05-13T04:42:34Z"'), []);
      assert.deepEqual(await names('title pr and userType eq "Employee"'), []);
      assert.deepEqual(await names('title pr or userName eq "kim"'), ["kim"]);
      assert.deepEqual(await names('schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"'), []);
      assert.deepEqual(await names('emails co "example.com" or emails.value co "example.org"'), ["Alice.Smith@Example.com", "Jane", "jsmith"]);
      assert.deepEqual(await names('userName ne "kim" and not (emails co "example.com" or emails.value co "example.org")'), ["bjensen", "owner", "pat"]);
      assert.deepEqual(await names('emails.type eq "work" and userName ew "E"'), ["Jane"]);
      assert.deepEqual(await names('emails[type eq "work" and value co "@example.com"]'), ["Alice.Smith@Example.com", "jsmith"]);
      assert.deepEqual(await names('emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]'), [
        "Alice.Smith@Example.com",
        "jsmith",
      ]);
      assert.deepEqual(await names('externalId eq "bjensen"'), ["bjensen"]);
      assert.deepEqual(await names('externalId eq "BJENSEN"'), [], "externalId is caseExact");
      assert.deepEqual(await names('displayName sw "ms. barbara"'), ["bjensen"]);
      assert.deepEqual(await names('active eq true and userName eq "kim"'), ["kim"]);
      assert.deepEqual(await names("active eq false"), []);
      assert.deepEqual(await names(`id eq "${bjensenId}"`), ["bjensen"]);
      assert.deepEqual(await names('externalId eq null and userName sw "k"'), ["kim"]);
      // Malformed or unsupported: 400 invalidFilter, as the RFC's §3.12 says.
      for (const bad of [
        "userName eq",
        'userName eq "unterminated',
        '(userName eq "a"',
        'userName xx "a"',
        'userName eq "a" junk',
        'nonsense eq "a"',
        'password eq "secret"',
        "active gt true",
        'meta.lastModified gt "not a date"',
        'name eq "x"',
        'urn:example:other:userName eq "a"',
        "userName eq 42",
      ]) {
        const r = await idp.req("GET", `/Users?filter=${encodeURIComponent(bad)}`);
        assertScimError(r, 400, "invalidFilter");
      }
      const long = Array.from({ length: 60 }, (_, i) => `userName eq "u${i}"`).join(" or ");
      assertScimError(await idp.req("GET", `/Users?filter=${encodeURIComponent(long)}`), 400, "tooMany");
    });

    it("§3.4.2.3 sorts and §3.4.2.4 pages", async () => {
      const all = await idp.req("GET", "/Users?sortBy=userName&sortOrder=descending");
      const sorted = (all.body.Resources as Array<{ userName: string }>).map((u) => u.userName);
      assert.deepEqual(
        sorted,
        [...sorted].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? 1 : -1)),
      );
      const total: number = all.body.totalResults;
      assert.ok(total >= 7);
      const page1 = await idp.req("GET", "/Users?sortBy=userName&startIndex=1&count=3");
      assert.equal(page1.body.totalResults, total);
      assert.equal(page1.body.startIndex, 1);
      assert.equal(page1.body.itemsPerPage, 3);
      const page2 = await idp.req("GET", "/Users?sortBy=userName&startIndex=4&count=3");
      assert.equal(page2.body.startIndex, 4);
      const ids = [...page1.body.Resources, ...page2.body.Resources].map((u: { id: string }) => u.id);
      assert.equal(new Set(ids).size, 6, "pages do not overlap");
      const beyond = await idp.req("GET", `/Users?startIndex=${total + 5}&count=10`);
      assert.equal(beyond.body.itemsPerPage, 0);
      assert.deepEqual(beyond.body.Resources, []);
      const countOnly = await idp.req("GET", "/Users?count=0");
      assert.equal(countOnly.body.totalResults, total);
      assert.deepEqual(countOnly.body.Resources, []);
      // Out-of-range values are clamped as §3.4.2.4 says; non-numbers are refused.
      assert.equal((await idp.req("GET", "/Users?startIndex=-4&count=1")).body.startIndex, 1);
      assertScimError(await idp.req("GET", "/Users?count=many"), 400, "invalidValue");
      assertScimError(await idp.req("GET", "/Users?sortOrder=sideways"), 400, "invalidValue");
      assertScimError(await idp.req("GET", "/Users?sortBy=nonsense"), 400, "invalidValue");
    });

    it("§3.4.3 searches with POST /.search", async () => {
      const r = await idp.req("POST", "/Users/.search", {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        attributes: ["displayName", "userName"],
        filter: 'displayName sw "ms"',
        startIndex: 1,
        count: 10,
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.totalResults, 1);
      assert.deepEqual(Object.keys(r.body.Resources[0]).sort(), ["displayName", "id", "schemas", "userName"]);
      assertScimError(await idp.req("POST", "/Users/.search", { filter: "x" }), 400, "invalidSyntax");
    });

    it("§3.5.1 PUT replaces the user, with If-Match; a stale ETag is 412 and changes nothing", async () => {
      const current = await idp.req("GET", `/Users/${bjensenId}`);
      const body = {
        schemas: [USER_SCHEMA],
        id: bjensenId,
        userName: "bjensen",
        externalId: "bjensen",
        name: { formatted: "Ms. Barbara J Jensen III", familyName: "Jensen", givenName: "Barbara", middleName: "Jane" },
        roles: [],
        emails: [{ value: "bjensen@example.com" }, { value: "babs@jensen.org" }],
      };
      const before = await snapshot(s);
      assertScimError(await idp.req("PUT", `/Users/${bjensenId}`, body, { authorization: `Bearer ${idp.token}`, "if-match": 'W/"e180ee84f0671b1"' }), 412);
      assert.deepEqual(await snapshot(s), before);
      const r = await idp.req("PUT", `/Users/${bjensenId}`, body, { authorization: `Bearer ${idp.token}`, "if-match": current.body.meta.version });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.name.middleName, "Jane");
      assert.deepEqual(r.body.emails, [{ value: "bjensen@example.com", type: "work", primary: true }]);
      assert.notEqual(r.body.meta.version, current.body.meta.version);
      assert.equal(r.headers.get("etag"), r.body.meta.version);
      assert.ok(r.body.meta.lastModified >= current.body.meta.lastModified);
      assert.equal((await owner.api("GET", `/users/${bjensenId}`)).body.email, "bjensen@example.com");
      // The same PUT again changes nothing, not even the version.
      const again = await idp.req("PUT", `/Users/${bjensenId}`, body);
      assert.equal(again.body.meta.version, r.body.meta.version);
      assert.equal(again.body.meta.lastModified, r.body.meta.lastModified);
      // id is read-only: a different one in the body is ignored, not applied.
      assert.equal((await idp.req("PUT", `/Users/${bjensenId}`, { ...body, id: "usr_other" })).body.id, bjensenId);
    });

    it("§3.5.2 PATCH: add without a path, replace, remove; the RFC's forms", async () => {
      const add = await idp.req(
        "PATCH",
        `/Users/${bjensenId}`,
        patchOp({ op: "add", value: { emails: [{ value: "babs@jensen.org", type: "home" }], nickname: "Babs" } }),
      );
      assert.equal(add.status, 200, JSON.stringify(add.body));
      // One address per user: the work one stays.
      assert.deepEqual(add.body.emails, [{ value: "bjensen@example.com", type: "work", primary: true }]);
      const replace = await idp.req(
        "PATCH",
        `/Users/${bjensenId}`,
        patchOp({ op: "replace", path: "name.givenName", value: "Babs" }, { op: "replace", path: "displayName", value: "Babs Jensen" }),
      );
      assert.equal(replace.body.name.givenName, "Babs");
      assert.equal(replace.body.displayName, "Babs Jensen");
      assert.equal((await owner.api("GET", `/users/${bjensenId}`)).body.displayName, "Babs Jensen");
      const sub = await idp.req("PATCH", `/Users/${bjensenId}`, patchOp({ op: "replace", path: 'emails[type eq "work"].value', value: "barbara@example.com" }));
      assert.deepEqual(sub.body.emails, [{ value: "barbara@example.com", type: "work", primary: true }]);
      const removed = await idp.req(
        "PATCH",
        `/Users/${bjensenId}`,
        patchOp({ op: "remove", path: 'emails[type eq "work" and value ew "example.com"]' }, { op: "remove", path: "name.middleName" }),
      );
      assert.equal(removed.body.emails, undefined);
      assert.equal(removed.body.name.middleName, undefined);
      assert.equal((await owner.api("GET", `/users/${bjensenId}`)).body.email, null);
      const noPath = await idp.req(
        "PATCH",
        `/Users/${bjensenId}`,
        patchOp({ op: "replace", value: { emails: [{ value: "bjensen@example.com", type: "work", primary: true }], nickName: "Babs" } }),
      );
      assert.deepEqual(noPath.body.emails, [{ value: "bjensen@example.com", type: "work", primary: true }]);
      // Audited as the SCIM client.
      const entries = await s.deps.db.selectFrom("audit_log").select(["action", "actor_kind"]).where("target_id", "=", bjensenId).execute();
      assert.ok(entries.some((e) => e.action === "user.profile.updated" && e.actor_kind === "scim"));
      assert.ok(entries.some((e) => e.action === "user.email.changed" && e.actor_kind === "scim"));
      assert.ok(entries.some((e) => e.action === "scim.user.updated" && e.actor_kind === "scim"));
    });

    it("§3.5.2 bad PATCH requests: invalidPath, invalidFilter, noTarget, mutability, invalidValue, invalidSyntax, tooMany — nothing applied", async () => {
      const before = await snapshot(s);
      const version = (await idp.req("GET", `/Users/${bjensenId}`)).body.meta.version;
      const bad: Array<[unknown, string]> = [
        [patchOp({ op: "replace", path: 'emails[type eq "work"', value: "x@example.com" }), "invalidPath"],
        [patchOp({ op: "replace", path: "nonexistent", value: "x" }), "invalidPath"],
        [patchOp({ op: "replace", path: "name.nickname", value: "x" }), "invalidPath"],
        [patchOp({ op: "replace", path: "displayName[value eq 1]", value: "x" }), "invalidPath"],
        [patchOp({ op: "replace", path: "urn:example:unknown:attr", value: "x" }), "invalidPath"],
        [patchOp({ op: "replace", path: 'emails[type zz "work"].value', value: "x" }), "invalidFilter"],
        [patchOp({ op: "replace", path: 'emails[kind eq "work"].value', value: "x" }), "invalidFilter"],
        [patchOp({ op: "replace", path: 'emails[type eq "home"].value', value: "x@example.com" }), "noTarget"],
        [patchOp({ op: "remove" }), "noTarget"],
        [patchOp({ op: "replace", path: "id", value: "usr_mine" }), "mutability"],
        [patchOp({ op: "add", path: "groups", value: [{ value: "grp_x" }] }), "mutability"],
        [patchOp({ op: "replace", path: "active", value: "perhaps" }), "invalidValue"],
        [patchOp({ op: "remove", path: "userName" }), "invalidValue"],
        [patchOp({ op: "replace", path: "displayName", value: "x".repeat(81) }), "invalidValue"],
        // The first operation would apply; the second fails: the whole request is refused.
        [patchOp({ op: "replace", path: "displayName", value: "Half Applied" }, { op: "replace", path: "bogus", value: 1 }), "invalidPath"],
        [{ Operations: [{ op: "replace", path: "displayName", value: "x" }] }, "invalidSyntax"],
        [patchOp({ op: "merge", path: "displayName", value: "x" }), "invalidSyntax"],
        [patchOp(), "invalidSyntax"],
        [patchOp(...Array.from({ length: 101 }, () => ({ op: "replace", path: "displayName", value: "x" }))), "tooMany"],
      ];
      for (const [body, scimType] of bad) {
        const r = await idp.req("PATCH", `/Users/${bjensenId}`, body);
        assertScimError(r, 400, scimType);
      }
      assert.deepEqual(await snapshot(s), before);
      assert.equal((await idp.req("GET", `/Users/${bjensenId}`)).body.meta.version, version);
      assertScimError(await idp.req("PATCH", "/Users/usr_nobody", patchOp({ op: "replace", path: "displayName", value: "x" })), 404);
      assertScimError(
        await idp.req("PATCH", `/Users/${bjensenId}`, patchOp({ op: "replace", path: "displayName", value: "x" }), {
          authorization: `Bearer ${idp.token}`,
          "if-match": 'W/"stale"',
        }),
        412,
      );
      assert.deepEqual(await snapshot(s), before);
    });

    it("§3.6 DELETE deprovisions: deactivated, sessions ended, 404 to SCIM afterwards; a new POST brings the account back", async () => {
      const r = await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "leaver", password: "a long enough passphrase" });
      const id: string = r.body.id;
      const login = await call(s, "POST", "/auth/login", { org: "example", username: "leaver", password: "a long enough passphrase", deviceName: "laptop" });
      assert.equal(login.status, 200);
      const token = login.body.accessToken as string;
      assert.equal((await call(s, "GET", "/me", undefined, { authorization: `Bearer ${token}` })).status, 200);
      assertScimError(await idp.req("DELETE", `/Users/${id}`, undefined, { authorization: `Bearer ${idp.token}`, "if-match": 'W/"stale"' }), 412);
      const del = await idp.req("DELETE", `/Users/${id}`);
      assert.equal(del.status, 204);
      assert.equal(del.body, undefined);
      assert.equal((await call(s, "GET", "/me", undefined, { authorization: `Bearer ${token}` })).status, 401, "the session ended");
      assertScimError(await idp.req("GET", `/Users/${id}`), 404);
      assertScimError(await idp.req("DELETE", `/Users/${id}`), 404);
      assertScimError(await idp.req("PATCH", `/Users/${id}`, patchOp({ op: "replace", path: "active", value: true })), 404);
      assert.equal((await idp.req("GET", '/Users?filter=userName eq "leaver"')).body.totalResults, 0);
      const account = await owner.api("GET", `/users/${id}`);
      assert.equal(account.body.deactivated, true, "deactivated, not erased");
      const audit = await s.deps.db.selectFrom("audit_log").select(["action", "actor_kind"]).where("target_id", "=", id).execute();
      assert.ok(audit.some((e) => e.action === "user.deactivated" && e.actor_kind === "scim"));
      assert.ok(audit.some((e) => e.action === "scim.user.deleted" && e.actor_kind === "scim"));
      // Provisioned again under the same userName: the same account, active.
      const back = await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "leaver" });
      assert.equal(back.status, 201, JSON.stringify(back.body));
      assert.equal(back.body.id, id);
      assert.equal(back.body.active, true);
      assert.equal((await owner.api("GET", `/users/${id}`)).body.deactivated, false);
    });

    it("active=false deactivates and active=true reactivates, through the org's own commands", async () => {
      const r = await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "toggle" });
      const id: string = r.body.id;
      const off = await idp.req("PATCH", `/Users/${id}`, patchOp({ op: "replace", value: { active: false } }));
      assert.equal(off.body.active, false);
      assert.equal((await owner.api("GET", `/users/${id}`)).body.deactivated, true);
      assert.deepEqual(
        (await idp.req("GET", "/Users?filter=active eq false")).body.Resources.map((u: { id: string }) => u.id),
        [id],
      );
      const on = await idp.req("PATCH", `/Users/${id}`, patchOp({ op: "Replace", path: "active", value: "True" }));
      assert.equal(on.body.active, true);
      assert.equal((await owner.api("GET", `/users/${id}`)).body.deactivated, false);
      // The last owner cannot be deprovisioned (an owner's token may try): 400, nothing changes.
      const before = await snapshot(s);
      assertScimError(await idp.req("PATCH", `/Users/${owner.user.id}`, patchOp({ op: "replace", path: "active", value: false })), 400, "invalidValue");
      assert.deepEqual(await snapshot(s), before);
    });

    it("answers only with a token: no token, a wrong one, or the API's own JWT are 401", async () => {
      const noToken = await scimCall(s, "GET", "/Users");
      assertScimError(noToken, 401);
      assert.match(noToken.headers.get("www-authenticate") ?? "", /^Bearer/);
      assertScimError(await scimCall(s, "GET", "/Users", undefined, { authorization: "Bearer scim_0000" }), 401);
      assertScimError(await scimCall(s, "GET", "/Users", undefined, { authorization: `Bearer ${owner.accessToken}` }), 401);
    });
  });
}
