/**
 * Single sign-on under attack and failure (issue 10): unknown, replayed, expired and
 * cross-browser states; nonce and PKCE mismatches; a code from another org's provider;
 * tampered, forged, expired and misaddressed ID tokens (`alg: none`, HS256 "signed" with the
 * IdP's public key); an unreachable IdP; throttling. Every refusal lands on the web app's
 * `/sso#error=…`, is audited in the org the state names, and writes nothing else.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, makeOrg, type TestUser } from "../../testing/factories.ts";
import { CookieJar, driveSignIn, followCallback, ssoSignIn, startTestIdp, type IdpAccount, type TestIdp } from "../../testing/oidc-idp.ts";

const mallory: IdpAccount = {
  sub: "mallory-0001",
  username: "mallory",
  password: "mallory-pw",
  email: "mallory@example.org",
  email_verified: true,
  preferred_username: "mallory",
};

for (const dialect of DIALECTS) {
  describe(`single sign-on refusals (${dialect})`, () => {
    let s: TestServer;
    let idp: TestIdp;
    let acme: TestUser;
    let globex: TestUser;
    let providerA: string;
    let providerB: string;
    const realNow = Date.now;

    before(async () => {
      s = await startTestServer({ dialect, config: { loginAttempts: 1000 } });
      acme = await bootstrapOrg(s, { orgSlug: "acme" });
      globex = await makeOrg(s, "globex");
      const client = (id: string) => ({ clientId: id, clientSecret: `${id}-secret-0123456789`, redirectUris: [`${s.url}/auth/sso/oidc/callback`] });
      idp = await startTestIdp({ accounts: [mallory], clients: [client("parley-acme"), client("parley-globex")] });
      const add = async (u: TestUser, id: string) => {
        const r = await u.api("POST", "/sso/providers", { name: "IdP", issuer: idp.issuer, clientId: id, clientSecret: `${id}-secret-0123456789` });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body.id as string;
      };
      providerA = await add(acme, "parley-acme");
      providerB = await add(globex, "parley-globex");
    });
    after(async () => {
      s.deps.now = realNow;
      await idp?.stop();
      await s?.stop();
    });

    const callbackPrefix = () => `${s.url}/auth/sso/oidc/callback`;
    /** Run the sign-in up to the IdP's redirect back (not followed). */
    const toCallback = async (providerId: string, jar = new CookieJar()) => {
      const r = await driveSignIn(jar, `${s.url}/auth/sso/${providerId}/start`, mallory, callbackPrefix());
      assert.ok(r.url.startsWith(callbackPrefix()), `${r.url} ${r.body ?? ""}`);
      return { jar, url: r.url };
    };
    const counts = async () => {
      const n = async (t: "users" | "sso_identities" | "sessions" | "sso_codes" | "devices") =>
        Number(
          (
            await s.deps.db
              .selectFrom(t)
              .select((eb) => eb.fn.countAll<number>().as("n"))
              .executeTakeFirstOrThrow()
          ).n,
        );
      return {
        users: await n("users"),
        identities: await n("sso_identities"),
        sessions: await n("sessions"),
        codes: await n("sso_codes"),
        devices: await n("devices"),
      };
    };
    const lastFailure = async (orgId: string) => {
      const e = await s.deps.db
        .selectFrom("audit_log")
        .selectAll()
        .where("org_id", "=", orgId)
        .where("action", "=", "auth.login.failed")
        .orderBy("seq", "desc")
        .executeTakeFirstOrThrow();
      return JSON.parse(e.details) as Record<string, string>;
    };
    const failureCount = async () =>
      Number(
        (
          await s.deps.db
            .selectFrom("audit_log")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("action", "=", "auth.login.failed")
            .executeTakeFirstOrThrow()
        ).n,
      );
    /** The sign-in fails with this reason, is audited in acme, and writes nothing. */
    const refusedWith = async (run: () => Promise<URLSearchParams>, reason: string, check?: RegExp) => {
      const before = await counts();
      const fragment = await run();
      assert.equal(fragment.get("reason"), reason, fragment.toString());
      assert.ok(fragment.get("message"));
      assert.equal(fragment.get("code"), null);
      assert.deepEqual(await counts(), before, "nothing written");
      const entry = await lastFailure(acme.org.id);
      assert.equal(entry.reason, reason);
      assert.equal(entry.via, "oidc");
      assert.equal(entry.providerId, providerA);
      if (check) assert.match(entry.check ?? "", check);
      return fragment;
    };

    it("a well-behaved sign-in works (the baseline of every refusal below)", async () => {
      const out = await ssoSignIn(s, providerA, mallory);
      assert.equal(out.complete?.status, 200, JSON.stringify(out.complete?.body));
    });

    it("an unknown state is refused and writes nothing (no org to record it in)", async () => {
      const before = await counts();
      const failures = await failureCount();
      const jar = new CookieJar();
      const out = await followCallback(s, jar, `${callbackPrefix()}?code=abc&state=not-a-state`, false);
      assert.equal(out.fragment.get("error"), "sso_failed");
      assert.equal(out.fragment.get("reason"), "state_invalid");
      assert.deepEqual(await counts(), before);
      assert.equal(await failureCount(), failures);
      const none = await followCallback(s, jar, `${callbackPrefix()}?code=abc`, false);
      assert.equal(none.fragment.get("reason"), "state_invalid");
    });

    it("a state works once: the same callback again is a replay", async () => {
      const cb = await toCallback(providerA);
      const first = await followCallback(s, cb.jar, cb.url);
      assert.equal(first.complete?.status, 200);
      await refusedWith(async () => (await followCallback(s, cb.jar, cb.url, false)).fragment, "state_invalid", /^replayed$/);
    });

    it("a state expires after ten minutes", async () => {
      const cb = await toCallback(providerA);
      s.deps.now = () => realNow() + 11 * 60 * 1000;
      try {
        await refusedWith(async () => (await followCallback(s, cb.jar, cb.url, false)).fragment, "state_invalid", /^expired$/);
      } finally {
        s.deps.now = realNow;
      }
    });

    it("a callback, or a one-time code, from another browser is refused (login CSRF)", async () => {
      const cb = await toCallback(providerA);
      await refusedWith(async () => (await followCallback(s, new CookieJar(), cb.url, false)).fragment, "state_invalid", /^browser_mismatch$/);
      // The code of a finished sign-in, presented by a browser that did not start it.
      const jar = new CookieJar();
      const out = await ssoSignIn(s, providerA, mallory, { jar, complete: false });
      const code = out.fragment.get("code")!;
      const before = await counts();
      const stolen = await call(s, "POST", "/auth/sso/complete", { code }, { cookie: "parley_sso=" + "0".repeat(64) });
      assert.equal(stolen.status, 401);
      assert.equal(stolen.body.code, "sso_failed");
      assert.equal(stolen.body.details.reason, "code_invalid");
      assert.equal((await lastFailure(acme.org.id)).check, "browser_mismatch");
      assert.deepEqual(await counts(), before);
      // Its own browser still can (the refused attempt did not use it up).
      const own = await jar.fetch(`${s.url}/api/v1/auth/sso/complete`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code }),
      });
      assert.equal(own.status, 200);
      // A bad request changes nothing either.
      assert.equal((await call(s, "POST", "/auth/sso/complete", { code: "short" })).body.code, "validation_failed");
    });

    it("a code that expired before the web app exchanged it is refused", async () => {
      const jar = new CookieJar();
      const out = await ssoSignIn(s, providerA, mallory, { jar, complete: false });
      s.deps.now = () => realNow() + 3 * 60 * 1000;
      try {
        const r = await jar.fetch(`${s.url}/api/v1/auth/sso/complete`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ code: out.fragment.get("code") }),
        });
        assert.equal(r.status, 401);
        assert.equal((await lastFailure(acme.org.id)).check, "expired");
      } finally {
        s.deps.now = realNow;
      }
    });

    it("a nonce that is not the state's is refused", async () => {
      const cb = await toCallback(providerA);
      const state = new URL(cb.url).searchParams.get("state")!;
      const { hashSecret } = await import("../../platform/ids.ts");
      await s.deps.db.updateTable("sso_states").set({ nonce: "another-sign-in-nonce" }).where("state_hash", "=", hashSecret(state)).execute();
      await refusedWith(async () => (await followCallback(s, cb.jar, cb.url, false)).fragment, "token_invalid", /nonce/);
    });

    it("a PKCE verifier that does not match the challenge is refused by the IdP", async () => {
      const cb = await toCallback(providerA);
      const state = new URL(cb.url).searchParams.get("state")!;
      const { hashSecret } = await import("../../platform/ids.ts");
      const stateHash = hashSecret(state);
      const forged = await s.deps.kms.seal(new TextEncoder().encode("x".repeat(64)), `sso-pkce:${stateHash}`, { orgId: acme.org.id });
      await s.deps.db.updateTable("sso_states").set({ code_verifier: forged }).where("state_hash", "=", stateHash).execute();
      await refusedWith(async () => (await followCallback(s, cb.jar, cb.url, false)).fragment, "code_rejected", /invalid_grant/);
    });

    it("an authorization code issued to another org's provider is refused, and recorded in the org the state names", async () => {
      const b = await toCallback(providerB);
      const a = await toCallback(providerA);
      const crafted = new URL(a.url);
      crafted.searchParams.set("code", new URL(b.url).searchParams.get("code")!);
      const globexFailures = await s.deps.db
        .selectFrom("audit_log")
        .select("seq")
        .where("org_id", "=", globex.org.id)
        .where("action", "=", "auth.login.failed")
        .execute();
      await refusedWith(async () => (await followCallback(s, a.jar, crafted.href, false)).fragment, "code_rejected", /invalid_grant/);
      const after = await s.deps.db
        .selectFrom("audit_log")
        .select("seq")
        .where("org_id", "=", globex.org.id)
        .where("action", "=", "auth.login.failed")
        .execute();
      assert.equal(after.length, globexFailures.length, "nothing recorded in the other org");
    });

    describe("ID tokens that fail a check", () => {
      /** Sign in with the token endpoint's answer rewritten. */
      const withToken = async (rewrite: (idToken: string, claims: Record<string, unknown>) => Promise<string | undefined>) => {
        idp.tamperTokens(async (body) => {
          const idToken = String(body.id_token);
          const next = await rewrite(idToken, decodeJwt(idToken) as Record<string, unknown>);
          const { id_token: _drop, ...rest } = body;
          return next === undefined ? rest : { ...rest, id_token: next };
        });
        try {
          return (await ssoSignIn(s, providerA, mallory, { complete: false })).fragment;
        } finally {
          idp.tamperTokens(null);
        }
      };
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

      it("a payload changed after signing (the signature kept)", async () => {
        await refusedWith(
          () =>
            withToken(async (t, claims) => {
              const [h, , sig] = t.split(".");
              return `${h}.${b64({ ...claims, sub: "admin-0000" })}.${sig}`;
            }),
          "token_invalid",
        );
      });
      it("alg: none", async () => {
        await refusedWith(() => withToken(async (_t, claims) => `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`), "token_invalid", /alg|JWS|algorithm/i);
      });
      it("HS256 with the IdP's public key as the HMAC secret (algorithm confusion)", async () => {
        await refusedWith(
          () =>
            withToken((t, claims) =>
              new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: decodeProtectedHeader(t).kid! }).sign(new TextEncoder().encode(idp.publicKeyPem)),
            ),
          "token_invalid",
          /alg/i,
        );
      });
      it("signed by a key that is not the IdP's (same kid)", async () => {
        const { privateKey } = await generateKeyPair("RS256");
        await refusedWith(
          () => withToken((t, claims) => new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: decodeProtectedHeader(t).kid! }).sign(privateKey)),
          "token_invalid",
        );
      });
      it("expired", async () => {
        const now = Math.floor(Date.now() / 1000);
        await refusedWith(() => withToken((_t, claims) => idp.sign({ ...claims, iat: now - 7200, exp: now - 3600 })), "token_invalid", /exp|timestamp/i);
      });
      it("issued for another client (audience)", async () => {
        await refusedWith(() => withToken((_t, claims) => idp.sign({ ...claims, aud: "parley-globex" })), "token_invalid", /aud/i);
      });
      it("from another issuer", async () => {
        await refusedWith(() => withToken((_t, claims) => idp.sign({ ...claims, iss: "https://idp.evil.example" })), "token_invalid", /iss/i);
      });
      it("with another sign-in's nonce", async () => {
        await refusedWith(() => withToken((_t, claims) => idp.sign({ ...claims, nonce: "replayed-nonce" })), "token_invalid", /nonce/i);
      });
      it("missing", async () => {
        await refusedWith(() => withToken(async () => undefined), "token_invalid", /id_token|ID Token/i);
      });
    });

    it("an unreachable IdP gets a clear message at the start and at the callback; audited", async () => {
      idp.setDown(true);
      try {
        const start = await followCallback(s, new CookieJar(), `${s.url}/auth/sso/${providerA}/start`, false).catch(async () => {
          throw new Error("start did not redirect");
        });
        assert.equal(start.fragment.get("error"), "idp_unavailable");
        assert.match(start.fragment.get("message")!, /cannot be reached/);
        const entry = await lastFailure(acme.org.id);
        assert.equal(entry.reason, "idp_unavailable");
        assert.equal(entry.check, "discovery");
        const test = await acme.api("POST", `/sso/providers/${providerA}/test`);
        assert.equal(test.body.ok, false);
        assert.equal(test.body.stage, "discovery");
      } finally {
        idp.setDown(false);
      }
      const cb = await toCallback(providerA);
      idp.setDown(true);
      try {
        const out = await refusedWith(async () => (await followCallback(s, cb.jar, cb.url, false)).fragment, "idp_unavailable");
        assert.equal(out.get("error"), "idp_unavailable");
      } finally {
        idp.setDown(false);
      }
    });

    it("a disabled provider cannot start a sign-in", async () => {
      assert.equal((await acme.api("PATCH", `/sso/providers/${providerA}`, { enabled: false })).status, 200);
      try {
        const out = await followCallback(s, new CookieJar(), `${s.url}/auth/sso/${providerA}/start`, false);
        assert.equal(out.fragment.get("reason"), "provider_unknown");
        assert.deepEqual((await call(s, "GET", "/auth/sso/providers?org=acme")).body.providers, []);
      } finally {
        await acme.api("PATCH", `/sso/providers/${providerA}`, { enabled: true });
      }
      const unknown = await followCallback(s, new CookieJar(), `${s.url}/auth/sso/idp_nope/start`, false);
      assert.equal(unknown.fragment.get("reason"), "provider_unknown");
    });

    it("an address with too many failed sign-ins is turned away at the start", async () => {
      await s.deps.limits.loginIp.consume("127.0.0.1", 5000).catch(() => undefined);
      try {
        const out = await followCallback(s, new CookieJar(), `${s.url}/auth/sso/${providerA}/start`, false);
        assert.equal(out.fragment.get("error"), "login_throttled");
      } finally {
        await s.deps.limits.loginIp.reset("127.0.0.1");
      }
    });
  });
}
