/**
 * OIDC single sign-on (issue 10), end to end against a real `oidc-provider` IdP started by the
 * test: just-in-time provisioning with group → role and group → channel mapping, the second
 * sign-in reusing the link, linking by verified email, JIT off, RP-initiated logout through
 * the IdP, and back-channel logout (the IdP's, and forged or replayed logout tokens).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, makeUser, type TestUser } from "../../testing/factories.ts";
import { CookieJar, ssoSignIn, startTestIdp, type IdpAccount, type TestIdp } from "../../testing/oidc-idp.ts";

const SECRET = "acme-client-secret-0123456789";

for (const dialect of DIALECTS) {
  describe(`OIDC single sign-on (${dialect})`, () => {
    let s: TestServer;
    let idp: TestIdp;
    let owner: TestUser;
    let providerId: string;
    let engineering: string;
    const alice: IdpAccount = {
      sub: "alice-0001",
      username: "alice",
      password: "alice-pw",
      email: "Alice@Example.org",
      email_verified: true,
      name: "Alice Liddell",
      preferred_username: "Alice.Liddell",
      groups: ["engineering", "parley-admins"],
      amr: ["pwd", "otp"],
    };
    const bob: IdpAccount = {
      sub: "bob-0002",
      username: "bob",
      password: "bob-pw",
      email: "bob@example.org",
      email_verified: false,
      name: "Bob",
      preferred_username: "bob",
    };

    before(async () => {
      s = await startTestServer({ dialect, config: { loginAttempts: 1000 } });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      idp = await startTestIdp({
        accounts: [alice, bob],
        clients: [
          {
            clientId: "parley-acme",
            clientSecret: SECRET,
            redirectUris: [`${s.url}/auth/sso/oidc/callback`],
            postLogoutRedirectUris: [`${s.url}/`],
            backchannelLogoutUri: `${s.url}/auth/sso/oidc/backchannel`,
          },
        ],
      });
      engineering = (await owner.api("POST", "/channels", { kind: "private", name: "engineering" })).body.id;
      const created = await owner.api("POST", "/sso/providers", {
        name: "Test IdP",
        issuer: idp.issuer,
        clientId: "parley-acme",
        clientSecret: SECRET,
        scopes: ["openid", "email", "profile", "groups"],
        roleMapping: [{ group: "parley-admins", role: "admin" }],
        channelMapping: [{ group: "engineering", channelId: engineering }],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      providerId = created.body.id;
    });
    after(async () => {
      await idp?.stop();
      await s?.stop();
    });

    const audit = (action: string) => s.deps.db.selectFrom("audit_log").selectAll().where("action", "=", action).orderBy("seq").execute();
    const memberOf = async (channelId: string, userId: string) =>
      (await s.deps.db.selectFrom("channel_members").select("user_id").where("channel_id", "=", channelId).where("user_id", "=", userId).executeTakeFirst()) !==
      undefined;

    it("the sign-in screen lists the org's enabled providers; an unknown org has none", async () => {
      assert.deepEqual((await call(s, "GET", "/auth/sso/providers?org=acme")).body, { providers: [{ id: providerId, name: "Test IdP" }] });
      assert.deepEqual((await call(s, "GET", "/auth/sso/providers?org=no-such-org")).body, { providers: [] });
      assert.equal((await call(s, "GET", "/auth/sso/providers?org=NOT%20A%20SLUG")).body.code, "validation_failed");
    });

    it("a first sign-in creates the account (JIT), maps groups to role and channel, and skips Parley's second factor", async () => {
      const out = await ssoSignIn(s, providerId, alice, { deviceName: "Alice's laptop" });
      assert.equal(out.complete?.status, 200, JSON.stringify(out.complete?.body));
      const tokens = out.complete!.body;
      assert.equal(tokens.user.username, "alice.liddell");
      assert.equal(tokens.user.displayName, "Alice Liddell");
      assert.equal(tokens.user.role, "admin", "parley-admins → admin");
      assert.equal(tokens.org.slug, "acme");
      const row = await s.deps.db.selectFrom("users").selectAll().where("id", "=", tokens.user.id).executeTakeFirstOrThrow();
      assert.equal(row.email, "alice@example.org", "the verified address, lowercased");
      assert.equal(row.password_hash, "!sso", "no password signs in to it");
      assert.ok(await memberOf(engineering, tokens.user.id), "engineering → the private channel");
      const device = await s.deps.db.selectFrom("devices").selectAll().where("id", "=", tokens.deviceId).executeTakeFirstOrThrow();
      assert.equal(device.name, "Alice's laptop", "the device name given at the start");
      const session = await s.deps.db.selectFrom("sessions").selectAll().where("id", "=", tokens.sessionId).executeTakeFirstOrThrow();
      assert.equal(session.sso_provider_id, providerId);
      assert.ok(session.sso_sid, "the IdP's session id is kept for back-channel logout");
      assert.equal(session.restriction, null);
      // The tokens work like any sign-in's.
      const me = await call(s, "GET", "/me", undefined, { authorization: `Bearer ${tokens.accessToken}` });
      assert.equal(me.status, 200);
      // Audited: the account, the link, the sign-in (with the IdP's amr); acted by the IdP where it provisions.
      const createdEntry = (await audit("user.created")).find((e) => e.target_id === tokens.user.id)!;
      assert.equal(createdEntry.actor_kind, "idp");
      assert.equal(createdEntry.actor_id, "oidc");
      assert.equal(JSON.parse(createdEntry.details).via, "oidc");
      assert.ok((await audit("sso.identity.linked")).some((e) => e.target_id === tokens.user.id && JSON.parse(e.details).by === "jit"));
      assert.ok((await audit("channel.member.added")).some((e) => e.target_id === engineering && e.details.includes(tokens.user.id)));
      const signIn = (await audit("auth.login.succeeded")).find((e) => e.actor_id === tokens.user.id)!;
      assert.deepEqual(JSON.parse(signIn.details), {
        amr: ["pwd", "otp"],
        newDevice: true,
        providerId,
        restricted: null,
        secondFactor: null,
        via: "oidc",
      });
      // The code works once.
      const again = await call(s, "POST", "/auth/sso/complete", { code: out.fragment.get("code") });
      assert.equal(again.status, 401);
      assert.equal(again.body.code, "sso_failed");
      assert.equal(again.body.details.reason, "code_invalid");
      // The client secret is in no log line and no audit entry.
      assert.ok(!s.logs.some((l) => l.includes(SECRET)));
      const all = await s.deps.db.selectFrom("audit_log").select("details").execute();
      assert.ok(!all.some((e) => e.details.includes(SECRET)));
    });

    it("the next sign-in finds the linked account; the mappings follow the groups (joins and leaves)", async () => {
      const first = (await s.deps.db.selectFrom("sso_identities").selectAll().where("subject", "=", alice.sub).executeTakeFirstOrThrow()).user_id;
      const users = Number(
        (
          await s.deps.db
            .selectFrom("users")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
      alice.groups = ["sales"];
      try {
        const out = await ssoSignIn(s, providerId, alice);
        assert.equal(out.complete?.status, 200);
        assert.equal(out.complete!.body.user.id, first, "the same account");
        assert.equal(out.complete!.body.user.role, "member", "in no mapped group: the default role");
        assert.equal(
          Number(
            (
              await s.deps.db
                .selectFrom("users")
                .select((eb) => eb.fn.countAll<number>().as("n"))
                .executeTakeFirstOrThrow()
            ).n,
          ),
          users,
        );
        assert.equal(await memberOf(engineering, first), false, "left the group: out of the channel the mapping put them in");
        assert.ok((await audit("user.role.changed")).some((e) => e.target_id === first && JSON.parse(e.details).to === "member"));
      } finally {
        alice.groups = ["engineering", "parley-admins"];
      }
      const back = await ssoSignIn(s, providerId, alice);
      assert.equal(back.complete!.body.user.role, "admin");
      assert.ok(await memberOf(engineering, first));
    });

    it("an existing account is linked by a verified email when the provider allows it; an unverified one never is", async () => {
      const carolLocal = await makeUser(s, owner, { username: "carol" });
      assert.equal((await owner.api("PUT", `/users/${carolLocal.user.id}/email`, { email: "carol@example.org" })).status, 200);
      const carol: IdpAccount = {
        sub: "carol-0003",
        username: "carol",
        password: "carol-pw",
        email: "carol@example.org",
        email_verified: true,
        preferred_username: "carol.c",
      };
      idp.accounts.push(carol);
      assert.equal((await owner.api("PATCH", `/sso/providers/${providerId}`, { linkByVerifiedEmail: true })).status, 200);
      const linked = await ssoSignIn(s, providerId, carol);
      assert.equal(linked.complete?.status, 200);
      assert.equal(linked.complete!.body.user.id, carolLocal.user.id, "the existing account, not a new one");
      assert.ok((await audit("sso.identity.linked")).some((e) => e.target_id === carolLocal.user.id && JSON.parse(e.details).by === "email"));
      // Bob's address is not verified at the IdP: a new account, without the address.
      await makeUser(s, owner, { username: "bob-local" }).then((u) => owner.api("PUT", `/users/${u.user.id}/email`, { email: "bob@example.org" }));
      const bobOut = await ssoSignIn(s, providerId, bob);
      assert.equal(bobOut.complete?.status, 200);
      assert.equal(bobOut.complete!.body.user.username, "bob");
      const bobRow = await s.deps.db.selectFrom("users").selectAll().where("id", "=", bobOut.complete!.body.user.id).executeTakeFirstOrThrow();
      assert.equal(bobRow.email, null);
      await owner.api("PATCH", `/sso/providers/${providerId}`, { linkByVerifiedEmail: false });
    });

    it("with JIT off, someone the org does not know is refused, audited, and nothing is written", async () => {
      assert.equal((await owner.api("PATCH", `/sso/providers/${providerId}`, { jit: false })).status, 200);
      const dave: IdpAccount = { sub: "dave-0004", username: "dave", password: "dave-pw", preferred_username: "dave", groups: ["engineering"] };
      idp.accounts.push(dave);
      try {
        const before = await s.deps.db.selectFrom("users").select("id").execute();
        const out = await ssoSignIn(s, providerId, dave);
        assert.equal(out.fragment.get("error"), "sso_failed");
        assert.equal(out.fragment.get("reason"), "not_provisioned");
        assert.match(out.fragment.get("message")!, /ask an admin/);
        assert.equal((await s.deps.db.selectFrom("users").select("id").execute()).length, before.length);
        assert.equal(await s.deps.db.selectFrom("sso_identities").selectAll().where("subject", "=", dave.sub).executeTakeFirst(), undefined);
        const failed = (await audit("auth.login.failed")).at(-1)!;
        assert.deepEqual(JSON.parse(failed.details), { providerId, reason: "not_provisioned", via: "oidc" });
      } finally {
        await owner.api("PATCH", `/sso/providers/${providerId}`, { jit: true });
      }
    });

    it("signing out goes through the IdP's end-session URL; the IdP's back-channel logout reaches Parley", async () => {
      const jar = new CookieJar();
      const out = await ssoSignIn(s, providerId, alice, { jar });
      const tokens = out.complete!.body;
      const auth = { authorization: `Bearer ${tokens.accessToken}` };
      const url = (await call(s, "GET", "/auth/sso/logout-url", undefined, auth)).body.url as string;
      const end = new URL(url);
      assert.equal(end.origin + end.pathname, `${idp.issuer}/session/end`);
      assert.equal(end.searchParams.get("client_id"), "parley-acme");
      assert.equal(end.searchParams.get("post_logout_redirect_uri"), `${s.url}/`);
      // A password session has none.
      assert.deepEqual((await owner.api("GET", "/auth/sso/logout-url")).body, { url: null });
      // The browser confirms the sign-out at the IdP, which tells Parley over the back channel.
      const page = await jar.fetch(url);
      const form = await page.text();
      const action = /action="([^"]+)"/.exec(form)![1]!;
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)![1]!;
      const confirm = await jar.fetch(new URL(action.replace(/&amp;/g, "&"), url).href, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ xsrf, logout: "yes" }).toString(),
      });
      assert.equal(confirm.status, 303);
      assert.ok(confirm.headers.get("location")!.startsWith(`${s.url}/`), "back to Parley");
      assert.ok(
        idp.logoutDeliveries.some((d) => d.clientId === "parley-acme" && d.ok),
        JSON.stringify(idp.logoutDeliveries),
      );
      assert.equal((await call(s, "GET", "/me", undefined, auth)).status, 401, "the session ended");
      const session = await s.deps.db.selectFrom("sessions").selectAll().where("id", "=", tokens.sessionId).executeTakeFirstOrThrow();
      assert.equal(session.revoked_reason, "sso_logout");
      const entry = (await audit("auth.sso.logout")).at(-1)!;
      assert.equal(entry.actor_kind, "idp");
      assert.deepEqual(JSON.parse(entry.details), { by: "sid", providerId, sessions: 1 });
    });

    it("back-channel logout: a signed token ends the sessions it names, once; forged or malformed ones are refused", async () => {
      const out = await ssoSignIn(s, providerId, alice);
      const tokens = out.complete!.body;
      const session = await s.deps.db.selectFrom("sessions").selectAll().where("id", "=", tokens.sessionId).executeTakeFirstOrThrow();
      const now = Math.floor(Date.now() / 1000);
      const good = {
        iss: idp.issuer,
        aud: "parley-acme",
        iat: now,
        jti: `jti-${now}-1`,
        sid: session.sso_sid!,
        events: { "http://schemas.openid.net/event/backchannel-logout": {} },
      };
      const post = (token: string) =>
        fetch(`${s.url}/auth/sso/oidc/backchannel`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ logout_token: token }),
        });
      const refused = async (token: string, why: string) => {
        const r = await post(token);
        assert.equal(r.status, 400, why);
        assert.equal(((await r.json()) as { error: string }).error, "invalid_request", why);
      };
      const hs = (payload: object) =>
        import("jose").then(({ SignJWT }) =>
          new SignJWT({ ...payload }).setProtectedHeader({ alg: "HS256", kid: idp.kid }).sign(new TextEncoder().encode(idp.publicKeyPem)),
        );
      await refused(await hs(good), "HS256 with the public key as secret");
      await refused(await idp.sign({ ...good, nonce: "n" }), "a nonce");
      await refused(await idp.sign({ ...good, events: {} }), "no logout event");
      await refused(await idp.sign({ ...good, sid: undefined, sub: undefined }), "neither sid nor sub");
      await refused(await idp.sign({ ...good, iat: now - 3600 }), "too old");
      await refused(await idp.sign({ ...good, aud: "someone-else" }), "another client");
      await refused("not.a.jwt", "malformed");
      const [h, p] = (await idp.sign(good)).split(".");
      await refused(`${h}.${p}.`, "no signature");
      assert.equal((await call(s, "GET", "/me", undefined, { authorization: `Bearer ${tokens.accessToken}` })).status, 200, "none of that ended the session");
      assert.ok((await audit("auth.sso.logout.refused")).length >= 5);

      const token = await idp.sign(good);
      const ok = await post(token);
      assert.equal(ok.status, 200);
      assert.equal((await call(s, "GET", "/me", undefined, { authorization: `Bearer ${tokens.accessToken}` })).status, 401);
      await refused(token, "replayed");
      const replay = (await audit("auth.sso.logout.refused")).at(-1)!;
      assert.equal(JSON.parse(replay.details).reason, "replayed");

      // By sub alone: every session the provider started for that account.
      const a = (await ssoSignIn(s, providerId, alice)).complete!.body;
      const b = (await ssoSignIn(s, providerId, alice)).complete!.body;
      const bySub = await idp.sign({ ...good, sid: undefined, sub: alice.sub, jti: `jti-${now}-2` });
      assert.equal((await post(bySub)).status, 200);
      for (const t of [a, b]) assert.equal((await call(s, "GET", "/me", undefined, { authorization: `Bearer ${t.accessToken}` })).status, 401);
      assert.equal((await owner.api("GET", "/me")).status, 200, "the owner's password session is untouched");
    });

    it("the ID token the server relied on carries the IdP's sid and the nonce of its state", async () => {
      let idToken = "";
      idp.tamperTokens((body) => {
        idToken = String(body.id_token);
        return body;
      });
      try {
        const out = await ssoSignIn(s, providerId, alice);
        assert.equal(out.complete?.status, 200);
      } finally {
        idp.tamperTokens(null);
      }
      const claims = decodeJwt(idToken);
      assert.equal(claims.aud, "parley-acme");
      assert.equal(typeof claims.sid, "string");
      assert.equal(typeof claims.nonce, "string");
    });
  });
}
