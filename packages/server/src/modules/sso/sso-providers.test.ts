/**
 * The admin side of single sign-on (issue 10): adding, listing, changing, testing and
 * removing OIDC providers; the client secret is write-only (sealed, never returned or logged);
 * bad settings are refused with nothing written; members, admins reaching for owner powers and
 * other orgs are refused; and "only single sign-on" with its break glass for owners and
 * admins while the IdP is down.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, countRows, makeOrg, makeUser, TEST_PASSWORD, type TestUser } from "../../testing/factories.ts";
import { ssoSignIn, startTestIdp, type IdpAccount, type TestIdp } from "../../testing/oidc-idp.ts";

const SECRET = "very-secret-client-value-42";

for (const dialect of DIALECTS) {
  describe(`SSO providers (${dialect})`, () => {
    let s: TestServer;
    let idp: TestIdp;
    let owner: TestUser;
    let admin: TestUser;
    let member: TestUser;
    let globex: TestUser;
    const boss: IdpAccount = {
      sub: "boss-0001",
      username: "boss",
      password: "boss-pw",
      email: "boss@initech.example",
      email_verified: true,
      preferred_username: "boss",
    };

    before(async () => {
      s = await startTestServer({ dialect, config: { loginAttempts: 1000 } });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      admin = await makeUser(s, owner, { role: "admin" });
      member = await makeUser(s, owner);
      globex = await makeOrg(s, "globex");
      const client = (id: string) => ({ clientId: id, clientSecret: SECRET, redirectUris: [`${s.url}/auth/sso/oidc/callback`] });
      idp = await startTestIdp({ accounts: [boss], clients: [client("parley-acme"), client("parley-initech")] });
    });
    after(async () => {
      await idp?.stop();
      await s?.stop();
    });

    const input = (extra: Record<string, unknown> = {}) => ({
      name: "Corporate IdP",
      issuer: idp.issuer,
      clientId: "parley-acme",
      clientSecret: SECRET,
      ...extra,
    });
    const actions = async (prefix: string) =>
      (await s.deps.db.selectFrom("audit_log").selectAll().where("action", "like", `${prefix}%`).orderBy("seq").execute()).map((e) => ({
        action: e.action,
        details: e.details,
      }));

    it("owners and admins add, list, change and remove providers; the client secret is write-only", async () => {
      const created = await admin.api("POST", "/sso/providers", input({ scopes: ["openid", "email"] }));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.headers.get("cache-control"), "no-store");
      const p = created.body;
      assert.equal(p.kind, "oidc");
      assert.equal(p.clientSecretSet, true);
      assert.equal(p.redirectUri, `${s.url}/auth/sso/oidc/callback`);
      assert.equal(p.backchannelLogoutUri, `${s.url}/auth/sso/oidc/backchannel`);
      assert.equal(p.postLogoutRedirectUri, `${s.url}/`);
      assert.deepEqual(p.claims, { username: "preferred_username", email: "email", name: "name", groups: "groups" });
      assert.ok(!JSON.stringify(created.body).includes(SECRET));
      const listed = await owner.api("GET", "/sso/providers");
      assert.deepEqual(listed.body.providers, [p]);
      assert.ok(!JSON.stringify(listed.body).includes(SECRET));
      // Sealed at rest, in no log line, no audit entry.
      const row = await s.deps.db.selectFrom("sso_providers").selectAll().where("id", "=", p.id).executeTakeFirstOrThrow();
      assert.ok(row.client_secret && !row.client_secret.includes(SECRET));
      assert.equal(new TextDecoder().decode(await s.deps.kms.open(row.client_secret, `sso-client-secret:${p.id}`, { orgId: row.org_id })), SECRET);
      assert.ok(!row.settings.includes(SECRET));
      assert.ok(!s.logs.some((l) => l.includes(SECRET)));

      const renamed = await admin.api("PATCH", `/sso/providers/${p.id}`, { name: "Okta", claims: { groups: "roles" } });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.equal(renamed.body.name, "Okta");
      assert.deepEqual(renamed.body.claims, { username: "preferred_username", email: "email", name: "name", groups: "roles" });
      assert.deepEqual(renamed.body.scopes, ["openid", "email"], "absent fields keep their values");
      // The stored secret only goes to the IdP and client it was entered for.
      const moved = await admin.api("PATCH", `/sso/providers/${p.id}`, { clientId: "another-client" });
      assert.equal(moved.status, 400);
      assert.equal(moved.body.details.field, "clientSecret");
      const movedWith = await admin.api("PATCH", `/sso/providers/${p.id}`, { clientId: "another-client", clientSecret: "another-secret-value" });
      assert.equal(movedWith.status, 200);
      const publicClient = await admin.api("PATCH", `/sso/providers/${p.id}`, { clientSecret: null });
      assert.equal(publicClient.body.clientSecretSet, false);

      assert.equal((await admin.api("DELETE", `/sso/providers/${p.id}`)).status, 204);
      assert.deepEqual((await owner.api("GET", "/sso/providers")).body.providers, []);
      assert.equal((await admin.api("DELETE", `/sso/providers/${p.id}`)).status, 404);
      const entries = await actions("org.sso.provider.");
      assert.deepEqual(
        entries.map((e) => e.action),
        ["org.sso.provider.created", "org.sso.provider.changed", "org.sso.provider.changed", "org.sso.provider.changed", "org.sso.provider.deleted"],
      );
      assert.deepEqual(JSON.parse(entries[1]!.details).changed, ["name", "claims"]);
      assert.ok(!entries.some((e) => e.details.includes(SECRET) || e.details.includes("another-secret-value")));
    });

    it("bad settings are refused with a clear 400 and nothing is written", async () => {
      const globexChannel = (await globex.api("POST", "/channels", { kind: "public", name: "globex-only" })).body.id;
      const before = await countRows(s, "sso_providers");
      const bad: Array<[Record<string, unknown>, RegExp]> = [
        [input({ issuer: "http://idp.example.org" }), /https/],
        [input({ issuer: "https://idp.example.org/?tenant=1" }), /issuer/],
        [input({ issuer: "not a url" }), /issuer/],
        [input({ scopes: ["email", "profile"] }), /openid/],
        [input({ idTokenSigningAlg: "none" }), /idTokenSigningAlg/],
        [input({ idTokenSigningAlg: "HS256" }), /idTokenSigningAlg/],
        [input({ roleMapping: [{ group: "x", role: "superuser" }] }), /roleMapping/],
        [input({ channelMapping: [{ group: "x", channelId: globexChannel }] }), /no such channel/],
        [input({ claims: { groups: "bad claim!" } }), /claims/],
        [input({ name: "" }), /name/],
        [{ issuer: idp.issuer, clientId: "x" }, /name/],
      ];
      for (const [body, message] of bad) {
        const r = await owner.api("POST", "/sso/providers", body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.body.code, "validation_failed", JSON.stringify(r.body));
        assert.match(r.body.message, message, JSON.stringify(body));
      }
      assert.equal(await countRows(s, "sso_providers"), before);
    });

    it("members may not; admins may not reach for owner powers; another org's provider is invisible", async () => {
      assert.equal((await member.api("GET", "/sso/providers")).status, 403);
      assert.equal((await member.api("POST", "/sso/providers", input())).status, 403);
      assert.equal(
        (await admin.api("POST", "/sso/providers", input({ roleMapping: [{ group: "it", role: "admin" }] }))).status,
        403,
        "a mapping that grants admin",
      );
      assert.equal((await admin.api("POST", "/sso/providers", input({ linkByVerifiedEmail: true }))).status, 403, "linking by email can reach any account");
      const mine = await owner.api("POST", "/sso/providers", input({ roleMapping: [{ group: "it", role: "admin" }] }));
      assert.equal(mine.status, 201);
      assert.equal((await admin.api("PATCH", `/sso/providers/${mine.body.id}`, { name: "x" })).status, 403, "an admin may not change it either");
      for (const [method, path] of [
        ["PATCH", `/sso/providers/${mine.body.id}`],
        ["DELETE", `/sso/providers/${mine.body.id}`],
        ["POST", `/sso/providers/${mine.body.id}/test`],
      ] as const) {
        const r = await globex.api(method, path, method === "PATCH" ? { name: "mine now" } : undefined);
        assert.equal(r.status, 404, `${method} ${path}`);
      }
      assert.deepEqual((await globex.api("GET", "/sso/providers")).body.providers, []);
      assert.equal((await owner.api("GET", "/sso/providers")).body.providers[0].name, "Corporate IdP");
      assert.equal((await call(s, "GET", "/auth/sso/providers?org=globex")).body.providers.length, 0);
      await owner.api("DELETE", `/sso/providers/${mine.body.id}`);
    });

    it("the test route runs discovery and says what it found", async () => {
      const p = (await owner.api("POST", "/sso/providers", input())).body;
      const ok = await owner.api("POST", `/sso/providers/${p.id}/test`);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.ok, true, JSON.stringify(ok.body));
      assert.equal(ok.body.metadata.issuer, idp.issuer);
      assert.equal(ok.body.metadata.backchannelLogoutSupported, true);
      assert.deepEqual(ok.body.metadata.idTokenSigningAlgs, ["RS256"]);
      await owner.api("PATCH", `/sso/providers/${p.id}`, { issuer: `${idp.issuer}/wrong`, clientSecret: SECRET });
      const wrong = await owner.api("POST", `/sso/providers/${p.id}/test`);
      assert.equal(wrong.body.ok, false);
      assert.equal(wrong.body.stage, "discovery");
      await owner.api("PATCH", `/sso/providers/${p.id}`, { issuer: idp.issuer, idTokenSigningAlg: "ES256", clientSecret: SECRET });
      const alg = await owner.api("POST", `/sso/providers/${p.id}/test`);
      assert.equal(alg.body.stage, "metadata");
      assert.match(alg.body.message, /ES256/);
      assert.deepEqual(
        (await actions("org.sso.provider.tested")).map((e) => JSON.parse(e.details).stage),
        ["done", "discovery", "metadata"],
      );
      await owner.api("DELETE", `/sso/providers/${p.id}`);
    });

    it("only single sign-on: a right password is refused; owners and admins break glass while the IdP is down, when allowed; the last owner is never demoted", async () => {
      const initech = await makeOrg(s, "initech");
      const initechAdmin = await makeUser(s, initech, { role: "admin" });
      const staff = await makeUser(s, initech);
      assert.equal((await initech.api("PUT", `/users/${initech.user.id}/email`, { email: boss.email })).status, 200);
      const created = await initech.api("POST", "/sso/providers", {
        name: "Initech SSO",
        issuer: idp.issuer,
        clientId: "parley-initech",
        clientSecret: SECRET,
        linkByVerifiedEmail: true,
        roleMapping: [{ group: "staff", role: "member" }],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id as string;
      // The owner signs in through the IdP once: linked by the verified address; the mapping would make them a member, but they are the last owner.
      const linked = await ssoSignIn(s, id, boss);
      assert.equal(linked.complete?.status, 200, JSON.stringify(linked.complete?.body ?? linked.fragment.toString()));
      assert.equal(linked.complete!.body.user.id, initech.user.id);
      assert.equal(linked.complete!.body.user.role, "owner");
      assert.ok((await actions("sso.change.skipped")).some((e) => JSON.parse(e.details).reason === "last_owner"));

      // An admin whose account is not linked may not lock themselves out; the linked owner may enforce.
      const selfLock = await initechAdmin.api("PATCH", `/sso/providers/${id}`, { enforce: true });
      assert.equal(selfLock.status, 403, "linking by email needs an owner to change it at all");
      const enforced = await initech.api("PATCH", `/sso/providers/${id}`, { enforce: true, localAdminsWhenDown: true });
      assert.equal(enforced.status, 200, JSON.stringify(enforced.body));

      const login = (u: TestUser) =>
        call(s, "POST", "/auth/login", { org: "initech", username: u.user.username, password: TEST_PASSWORD, deviceName: "laptop" });
      for (const u of [staff, initech, initechAdmin]) {
        const r = await login(u);
        assert.equal(r.status, 403, u.user.username);
        assert.equal(r.body.code, "sso_required");
        assert.deepEqual(r.body.details.providers, [{ id, name: "Initech SSO" }]);
      }
      const wrong = await call(s, "POST", "/auth/login", { org: "initech", username: staff.user.username, password: "not the password" });
      assert.equal(wrong.body.code, "invalid_credentials", "a wrong password learns nothing about the policy");

      idp.setDown(true);
      try {
        assert.equal((await login(initech)).status, 200, "the owner breaks glass");
        assert.equal((await login(initechAdmin)).status, 200, "so does an admin");
        const r = await login(staff);
        assert.equal(r.body.code, "sso_required", "members do not");
        const glass = await s.deps.db
          .selectFrom("audit_log")
          .selectAll()
          .where("org_id", "=", initech.org.id)
          .where("action", "=", "auth.login.break_glass")
          .execute();
        assert.equal(glass.length, 2);
        assert.equal(JSON.parse(glass[0]!.details).stage, "discovery");
        await initech.api("PATCH", `/sso/providers/${id}`, { localAdminsWhenDown: false }).then((x) => assert.equal(x.status, 200));
        assert.equal((await login(initech)).body.code, "sso_required", "no break glass when it is off");
      } finally {
        idp.setDown(false);
      }
      assert.equal((await initech.api("PATCH", `/sso/providers/${id}`, { enforce: false })).status, 200);
      assert.equal((await login(staff)).status, 200, "passwords work again");
      // Enforcing a provider one has never signed in with would lock one out of the password sign-in.
      const locked = await owner.api("POST", "/sso/providers", input({ enforce: true }));
      assert.equal(locked.status, 400);
      assert.equal(locked.body.details.field, "enforce");
    });
  });
}
