/**
 * Response headers that protect clients: the Content-Security-Policy lets the
 * web app connect only to its own origin, and every response that carries a
 * token or secret says Cache-Control: no-store (routes flagged `noStore` in
 * the protocol table).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { routes, type RouteDef } from "@parley/protocol";
import { DIALECTS, startTestServer, TEST_SETUP_TOKEN, type TestServer } from "../testing/harness.ts";
import { call, TEST_PASSWORD, type ApiResponse } from "../testing/factories.ts";

function directive(csp: string, name: string): string[] | undefined {
  const d = csp
    .split(";")
    .map((x) => x.trim().split(/\s+/))
    .find((parts) => parts[0] === name);
  return d?.slice(1);
}

for (const dialect of DIALECTS) {
  describe(`security headers (${dialect})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ dialect });
    });
    after(() => s.stop());

    it("CSP connect-src is 'self' only: no WebSocket or fetch to another host", async () => {
      for (const path of ["/healthz", "/api/v1/setup", "/api/docs/"]) {
        const res = await fetch(`${s.url}${path}`);
        await res.arrayBuffer();
        const csp = res.headers.get("content-security-policy") ?? "";
        assert.deepEqual(directive(csp, "connect-src"), ["'self'"], `${path}: ${csp}`);
      }
    });

    it("responses carrying tokens or secrets are not stored by any cache, success or error", async () => {
      const seen = new Map<string, ApiResponse>();
      const setup = await call(s, "POST", "/setup", {
        setupToken: TEST_SETUP_TOKEN,
        orgSlug: "acme",
        orgName: "Acme",
        username: "owner",
        displayName: "Owner",
        password: TEST_PASSWORD,
        deviceName: "d",
      });
      assert.equal(setup.status, 201);
      seen.set("setup", setup);
      const auth = { authorization: `Bearer ${setup.body.accessToken as string}` };
      const login = await call(s, "POST", "/auth/login", { org: "acme", username: "owner", password: TEST_PASSWORD });
      assert.equal(login.status, 200);
      seen.set("login", login);
      const refresh = await call(s, "POST", "/auth/refresh", { refreshToken: login.body.refreshToken });
      assert.equal(refresh.status, 200);
      seen.set("refresh", refresh);
      const invite = await call(s, "POST", "/invites", {}, auth);
      assert.equal(invite.status, 201);
      seen.set("createInvite", invite);
      const peek = await call(s, "GET", `/invites/token/${invite.body.token as string}`);
      assert.equal(peek.status, 200);
      seen.set("peekInvite", peek);
      const accept = await call(s, "POST", "/invites/accept", {
        token: invite.body.token,
        username: "bob",
        displayName: "Bob",
        password: TEST_PASSWORD,
        deviceName: "d",
      });
      assert.equal(accept.status, 201);
      seen.set("acceptInvite", accept);
      // The audit log carries personal data (names, addresses, user agents).
      const audit = await call(s, "GET", "/audit?limit=5", undefined, auth);
      assert.equal(audit.status, 200);
      seen.set("listAudit", audit);
      // Data-subject exports carry everything the server holds about a person (docs/gdpr.md).
      const myExport = await call(s, "POST", "/me/export", undefined, auth);
      assert.equal(myExport.status, 200);
      seen.set("exportMyData", myExport);
      const userExport = await call(s, "POST", `/compliance/users/${accept.body.user.id as string}/export`, undefined, auth);
      assert.equal(userExport.status, 200);
      seen.set("exportUserData", userExport);
      // The locker carries the recovery blob and sealed history keys.
      const key = (fill: number) => Buffer.alloc(32, fill).toString("base64");
      const putLocker = await call(s, "PUT", "/me/locker", { publicKey: key(1), identityKey: key(2), recoveryBlob: key(3) }, auth);
      assert.equal(putLocker.status, 200);
      seen.set("putLocker", putLocker);
      const getLocker = await call(s, "GET", "/me/locker", undefined, auth);
      assert.equal(getLocker.status, 200);
      seen.set("getLocker", getLocker);
      const entries = await call(s, "GET", "/me/locker/entries", undefined, auth);
      assert.equal(entries.status, 200);
      seen.set("listLockerEntries", entries);
      // Approval requests relay the hand-off's keys and the sealed private keys; refused steps (the asking
      // device cannot accept or complete its own request, nor reveal before an accept) are errors of those routes.
      const created = await call(s, "POST", "/me/approval-requests", { commitment: key(4) }, auth);
      assert.equal(created.status, 201);
      seen.set("createApprovalRequest", created);
      const request = `/me/approval-requests/${created.body.id as string}`;
      const steps = [
        ["listApprovalRequests", "GET", "/me/approval-requests", undefined, 200],
        ["getApprovalRequest", "GET", request, undefined, 200],
        ["acceptApprovalRequest", "POST", `${request}/accept`, { publicKey: key(5) }, 403],
        ["revealApprovalKey", "POST", `${request}/reveal`, { publicKey: key(5) }, 409],
        ["completeApprovalRequest", "POST", `${request}/complete`, { sealed: key(6), signature: Buffer.alloc(64, 7).toString("base64") }, 403],
        ["declineApprovalRequest", "POST", `${request}/decline`, undefined, 200],
      ] as const;
      for (const [name, method, path, body, status] of steps) {
        const res = await call(s, method, path, body, auth);
        assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
        seen.set(name, res);
      }

      // Account recovery and MFA: links, reset URLs, authenticator secrets, recovery codes, sign-in tokens.
      const reset = await call(s, "POST", `/users/${accept.body.user.id as string}/password-reset`, undefined, auth);
      assert.equal(reset.status, 200);
      seen.set("adminResetPassword", reset);
      const resetToken = new URL(reset.body.resetUrl as string).hash.replace("#token=", "");
      const more = [
        ["checkPasswordReset", "POST", "/auth/password-reset/check", { token: resetToken }, 200],
        ["completePasswordReset", "POST", "/auth/password-reset/complete", { token: resetToken, newPassword: "a brand new password" }, 204],
        ["verifyEmail", "POST", "/auth/email/verify", { token: "x".repeat(40) }, 400],
        ["startTotp", "POST", "/me/mfa/totp", { currentPassword: TEST_PASSWORD }, 200],
        ["confirmTotp", "POST", "/me/mfa/totp/confirm", { code: "000000" }, 401],
        ["regenerateRecoveryCodes", "POST", "/me/mfa/recovery-codes", { code: "000000" }, 400],
        ["verifyMfa", "POST", "/auth/mfa", { mfaToken: "x".repeat(40), code: "000000" }, 401],
        ["passkeySignIn", "POST", "/auth/passkey", { challengeId: "nope", response: {} }, 401],
        ["mfaPasskeyOptions", "POST", "/auth/mfa/passkey", { mfaToken: "x".repeat(40) }, 401],
        ["createApiKey", "POST", "/me/api-keys", { name: "k", scopes: ["read"] }, 201],
        ["signInWithApiKey", "POST", "/auth/api-key", { key: "pk_" + "x".repeat(43) }, 401],
        ["operatorCreateOrg", "POST", "/operator/orgs", { slug: "ops-org", name: "Ops", owner: { username: "boss", displayName: "Boss" } }, 401],
        ["createScimToken", "POST", "/scim/tokens", { name: "idp" }, 201],
        ["listScimTokens", "GET", "/scim/tokens", undefined, 200],
        [
          "createSsoProvider",
          "POST",
          "/sso/providers",
          { name: "IdP", issuer: "https://idp.example/realms/x", clientId: "parley", clientSecret: "s3cret-value" },
          201,
        ],
        ["listSsoProviders", "GET", "/sso/providers", undefined, 200],
        ["completeSso", "POST", "/auth/sso/complete", { code: "x".repeat(43) }, 401],
        // LDAP settings name whether a service password is stored (never the password).
        ["getLdap", "GET", "/ldap", undefined, 200],
        ["setLdap", "PUT", "/ldap", { enabled: true, url: "ldap://h", bindDn: "cn=x,dc=o", userBase: "ou=p,dc=o" }, 400],
      ] as Array<readonly [string, string, string, unknown, number]>;
      const bot = await call(s, "POST", "/service-accounts", { username: "ci-bot", displayName: "CI" }, auth);
      more.push(["createServiceAccountKey", "POST", `/service-accounts/${bot.body.id as string}/api-keys`, { name: "k", scopes: ["read"] }, 201]);
      for (const [name, method, path, body, status] of more) {
        const res = await call(s, method, path, body, auth);
        assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
        seen.set(name, res);
      }

      const providerId = (seen.get("createSsoProvider")?.body as { id: string }).id;
      const updated = await call(s, "PATCH", `/sso/providers/${providerId}`, { name: "IdP 2" }, auth);
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      seen.set("updateSsoProvider", updated);
      // Discovery of an unreachable issuer: an error answer, which must not be cached either.
      seen.set("testSsoProvider", await call(s, "POST", `/sso/providers/${providerId}/test`, undefined, auth));
      // The compliance archive's officer reads: sealed keys and archive copies.
      const archived = await call(s, "POST", "/channels", { name: "archived", kind: "public" }, auth);
      seen.set("listArchiveKeys", await call(s, "GET", `/compliance/archive/channels/${archived.body.id as string}/keys`, undefined, auth));
      seen.set("listArchiveEvents", await call(s, "GET", `/compliance/archive/channels/${archived.body.id as string}/events`, undefined, auth));
      seen.set("listArchivedChannels", await call(s, "GET", "/compliance/archive/channels", undefined, auth));
      // Sealed personal items, the user's reminder times, and the OAuth consent page's calls (an unknown request: the error answer must not be cached either).
      seen.set("listPersonalItems", await call(s, "GET", "/me/items", undefined, auth));
      seen.set("listReminders", await call(s, "GET", "/me/reminders", undefined, auth));
      seen.set("getOAuthConsent", await call(s, "GET", "/oauth/consent/unknown-request-0001", undefined, auth));
      seen.set("answerOAuthConsent", await call(s, "POST", "/oauth/consent/unknown-request-0001", { allow: false }, auth));
      // Call ICE servers: a TURN credential (an empty list here, no TURN configured: the header is the route's, not the answer's).
      seen.set("getIceServers", await call(s, "GET", "/calls/ice-servers", undefined, auth));

      const flagged = Object.entries(routes as Record<string, RouteDef>)
        .filter(([, d]) => d.noStore)
        .map(([n]) => n)
        .sort();
      assert.deepEqual([...seen.keys()].sort(), flagged, "this test covers every noStore route");
      for (const [name, res] of seen) assert.equal(res.headers.get("cache-control"), "no-store", name);
      // Errors of those routes too (a wrong password), and not routes without secrets.
      const wrong = await call(s, "POST", "/auth/login", { org: "acme", username: "owner", password: "wrong password!" });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers.get("cache-control"), "no-store");
      const me = await call(s, "GET", "/me", undefined, auth);
      assert.equal(me.status, 200);
      assert.notEqual(me.headers.get("cache-control"), "no-store");
    });
  });
}
