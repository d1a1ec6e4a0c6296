/**
 * OAuth2 apps (issue 13) against a real server on both dialects: an admin registers an app,
 * a user goes through the authorization code + PKCE flow over HTTP (redirects followed by
 * hand, the consent page's calls made as the signed-in user), the app's access token works on
 * the REST API within its scopes only, and revocation by the user or an admin ends it at once.
 * Bad input: wrong code_verifier, code reuse, unknown redirect_uri, scope not registered, a
 * user of another org, invalid registrations — each refused with nothing written.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { CookieJar } from "../../testing/oidc-idp.ts";
import {
  authorizeAndExchange,
  authorizeUrl,
  consentCall,
  followToApp,
  newPkce,
  startAuthorization,
  tokenRequest,
  type OAuthAppRef,
} from "../../testing/oauth-client.ts";
import { hashSecret } from "../../platform/ids.ts";

const REDIRECT = "http://127.0.0.1:9/callback";

for (const dialect of DIALECTS) {
  describe(`OAuth2 apps (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let member: TestUser;
    let other: TestUser;
    let app: OAuthAppRef & { id: string };
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      member = await makeUser(s, owner);
      other = await makeOrg(s, "other");
      const created = await owner.api("POST", "/oauth-apps", { name: "Tracker", redirectUris: [REDIRECT], scopes: ["read"] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      app = { id: created.body.id, clientId: created.body.clientId, redirectUri: REDIRECT };
    });
    after(() => s.stop());

    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const audits = async (action: string) =>
      s.deps.db.selectFrom("audit_log").select(["actor_kind", "actor_id", "target_id", "result", "details"]).where("action", "=", action).execute();

    it("runs the code + PKCE flow: consent, token, an in-scope call succeeds and an out-of-scope one is refused", async () => {
      const jar = new CookieJar();
      const pkce = newPkce();
      const started = await startAuthorization(jar, authorizeUrl(s.url, app, { scope: "read", state: "s1", challenge: pkce.challenge }));
      assert.equal(started.res.status, 303);
      assert.ok(started.uid, "the browser is sent to the web app's consent page");
      const details = await consentCall(jar, s.url, started.uid, member.accessToken);
      assert.equal(details.status, 200, JSON.stringify(details.body));
      assert.deepEqual(details.body.app, { id: app.id, name: "Tracker" });
      assert.deepEqual(details.body.scopes, ["read"]);
      assert.equal(details.body.redirectUri, REDIRECT);

      const decided = await consentCall(jar, s.url, started.uid, member.accessToken, true);
      assert.equal(decided.status, 200, JSON.stringify(decided.body));
      const back = await followToApp(jar, s.url, String(decided.body.redirectTo));
      assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
      assert.equal(back.searchParams.get("state"), "s1");
      const code = back.searchParams.get("code")!;
      assert.ok(code);

      const token = await tokenRequest(s.url, {
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT,
        client_id: app.clientId,
        code_verifier: pkce.verifier,
      });
      assert.equal(token.status, 200, JSON.stringify(token.body));
      assert.equal(token.body.token_type, "Bearer");
      assert.equal(token.body.scope, "read");
      const at = String(token.body.access_token);
      // Stored by hash only.
      const stored = await s.deps.db
        .selectFrom("oauth_store")
        .selectAll()
        .where("kind", "=", "AccessToken")
        .where("id_hash", "=", hashSecret(at))
        .executeTakeFirst();
      assert.ok(stored);
      assert.ok(!JSON.stringify(await s.deps.db.selectFrom("oauth_store").selectAll().execute()).includes(at));

      const me = await call(s, "GET", "/me", undefined, bearer(at));
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.user.id, member.user.id);
      assert.equal((await call(s, "GET", "/channels", undefined, bearer(at))).status, 200);
      const write = await call(s, "POST", "/channels", { kind: "public", name: "from-app" }, bearer(at));
      assert.equal(write.status, 403);
      assert.equal(write.body.code, "forbidden");
      const e2ee = await call(s, "GET", "/me/locker", undefined, bearer(at));
      assert.equal(e2ee.status, 403, "no end-to-end-encryption route for an app");
      assert.equal((await call(s, "GET", "/me/api-keys", undefined, bearer(at))).status, 403, "no credential route either");

      const grants = (await member.api("GET", "/me/oauth-grants")).body.grants;
      assert.equal(grants.length, 1);
      assert.equal(grants[0].appName, "Tracker");
      assert.deepEqual(grants[0].scopes, ["read"]);
      assert.equal((await audits("oauth.app.registered")).length, 1);
      const consent = await audits("oauth.consent.granted");
      assert.equal(consent.length, 1);
      assert.equal(consent[0]!.actor_id, member.user.id);
      const issued = await audits("oauth.token.issued");
      assert.equal(issued.length, 1);
      assert.equal(issued[0]!.actor_kind, "service_token");
      assert.equal(issued[0]!.target_id, grants[0].id);
    });

    it("the user's revocation ends the app's access at once (401), and the grant is gone from both lists", async () => {
      const t = await authorizeAndExchange(s.url, app, member.accessToken, "read");
      assert.equal(t.status, 200, JSON.stringify(t.body));
      const at = String(t.body.access_token);
      assert.equal((await call(s, "GET", "/me", undefined, bearer(at))).status, 200);
      const grant = (await member.api("GET", "/me/oauth-grants")).body.grants.find((g: { id: string }) => g.id);
      // Another user cannot revoke it (not found), nor can another org's admin.
      const peer = await makeUser(s, owner);
      assert.equal((await peer.api("DELETE", `/me/oauth-grants/${grant.id}`)).status, 404);
      assert.equal((await other.api("DELETE", `/oauth-grants/${grant.id}`)).status, 404);
      assert.equal((await call(s, "GET", "/me", undefined, bearer(at))).status, 200);

      assert.equal((await member.api("DELETE", `/me/oauth-grants/${grant.id}`)).status, 204);
      const after = await call(s, "GET", "/me", undefined, bearer(at));
      assert.equal(after.status, 401);
      assert.equal(after.body.code, "unauthorized");
      assert.ok(!(await member.api("GET", "/me/oauth-grants")).body.grants.some((g: { id: string }) => g.id === grant.id));
      assert.ok(!(await owner.api("GET", "/oauth-grants")).body.grants.some((g: { id: string }) => g.id === grant.id));
      const revoked = await audits("oauth.grant.revoked");
      assert.ok(revoked.some((r) => r.target_id === grant.id && r.actor_id === member.user.id));
    });

    it("an admin lists apps and grants and revokes a grant (401 at once); deleting the app revokes the rest", async () => {
      const t1 = await authorizeAndExchange(s.url, app, member.accessToken, "read");
      const t2 = await authorizeAndExchange(s.url, app, owner.accessToken, "read");
      const at1 = String(t1.body.access_token);
      const at2 = String(t2.body.access_token);
      const listed = await owner.api("GET", "/oauth-apps");
      assert.equal(listed.status, 200);
      assert.ok(listed.body.apps.find((a: { id: string }) => a.id === app.id).activeGrants >= 2);
      assert.equal((await member.api("GET", "/oauth-apps")).status, 403, "members do not see the org's apps");
      assert.equal((await member.api("GET", "/oauth-grants")).status, 403);
      const all = (await owner.api("GET", "/oauth-grants")).body.grants as Array<{ id: string; userId: string }>;
      const g1 = all.find((g) => g.userId === member.user.id)!;
      assert.equal((await owner.api("DELETE", `/oauth-grants/${g1.id}`)).status, 204);
      assert.equal((await call(s, "GET", "/me", undefined, bearer(at1))).status, 401);
      assert.equal((await call(s, "GET", "/me", undefined, bearer(at2))).status, 200, "the other user's grant is untouched");

      // Another org's admin cannot delete the app; deleting it ends every grant.
      assert.equal((await other.api("DELETE", `/oauth-apps/${app.id}`)).status, 404);
      const doomed = await owner.api("POST", "/oauth-apps", { name: "Doomed", redirectUris: [REDIRECT], scopes: ["read", "write"] });
      const dApp = { id: doomed.body.id, clientId: doomed.body.clientId, redirectUri: REDIRECT };
      const t3 = await authorizeAndExchange(s.url, dApp, member.accessToken, "read write");
      assert.equal(t3.body.scope, "read write");
      const at3 = String(t3.body.access_token);
      assert.equal((await call(s, "POST", "/channels", { kind: "public", name: `app-${Date.now()}` }, bearer(at3))).status, 201, "write scope writes");
      assert.equal((await owner.api("DELETE", `/oauth-apps/${dApp.id}`)).status, 204);
      assert.equal((await call(s, "GET", "/me", undefined, bearer(at3))).status, 401);
      const again = await startAuthorization(new CookieJar(), authorizeUrl(s.url, dApp, { scope: "read", state: "x", challenge: newPkce().challenge }));
      assert.equal(again.uid, undefined, "a deleted app cannot start a flow");
      assert.equal((await audits("oauth.app.deleted")).length, 1);
    });

    it("publishes its metadata, and gives a rotating refresh token that dies with the grant", async () => {
      const meta = await fetch(`${s.url}/oauth/.well-known/oauth-authorization-server`);
      assert.equal(meta.status, 200);
      const doc = (await meta.json()) as Record<string, unknown>;
      assert.equal(doc.issuer, `${s.url}/oauth`);
      assert.equal(doc.token_endpoint, `${s.url}/oauth/token`);
      assert.deepEqual(doc.code_challenge_methods_supported, ["S256"]);

      const t = await authorizeAndExchange(s.url, app, member.accessToken, "read");
      assert.equal(t.status, 200, JSON.stringify(t.body));
      const rt = String(t.body.refresh_token);
      assert.ok(rt && rt !== "undefined");
      const refreshed = await tokenRequest(s.url, { grant_type: "refresh_token", refresh_token: rt, client_id: app.clientId });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      const at = String(refreshed.body.access_token);
      assert.equal((await call(s, "GET", "/me", undefined, bearer(at))).status, 200);
      const replay = await tokenRequest(s.url, { grant_type: "refresh_token", refresh_token: rt, client_id: app.clientId });
      assert.equal(replay.status, 400, "a rotated refresh token is spent");
      const grant = (await member.api("GET", "/me/oauth-grants")).body.grants[0];
      assert.equal((await member.api("DELETE", `/me/oauth-grants/${grant.id}`)).status, 204);
      assert.equal((await call(s, "GET", "/me", undefined, bearer(at))).status, 401);
      const after = await tokenRequest(s.url, { grant_type: "refresh_token", refresh_token: String(refreshed.body.refresh_token), client_id: app.clientId });
      assert.equal(after.status, 400);
      assert.equal(after.body.error, "invalid_grant");
    });

    it("refuses a wrong code_verifier and a reused code (and the reuse revokes the tokens)", async () => {
      const jar = new CookieJar();
      const pkce = newPkce();
      const started = await startAuthorization(jar, authorizeUrl(s.url, app, { scope: "read", state: "s", challenge: pkce.challenge }));
      const decided = await consentCall(jar, s.url, started.uid!, member.accessToken, true);
      const code = (await followToApp(jar, s.url, String(decided.body.redirectTo))).searchParams.get("code")!;
      const form = { grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: app.clientId };
      const before = await countRows(s, "oauth_store");
      const wrong = await tokenRequest(s.url, { ...form, code_verifier: newPkce().verifier });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error, "invalid_grant");
      const none = await tokenRequest(s.url, form);
      assert.equal(none.status, 400, "PKCE is required");
      assert.equal(await countRows(s, "oauth_store"), before, "no token was written");

      // A failed attempt does not use the code up: the right verifier still redeems it, once.
      const ok = await tokenRequest(s.url, { ...form, code_verifier: pkce.verifier });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const at = String(ok.body.access_token);
      assert.equal((await call(s, "GET", "/me", undefined, bearer(at))).status, 200);
      const reuse = await tokenRequest(s.url, { ...form, code_verifier: pkce.verifier });
      assert.equal(reuse.status, 400);
      assert.equal(reuse.body.error, "invalid_grant");
      assert.equal((await call(s, "GET", "/me", undefined, bearer(at))).status, 401, "a replayed code revokes what it issued");
    });

    it("refuses an unknown redirect_uri (no redirect) and a scope the app was not registered with", async () => {
      const jar = new CookieJar();
      const pkce = newPkce();
      const before = await countRows(s, "oauth_store");
      const bad = await jar.fetch(
        authorizeUrl(s.url, app, { scope: "read", state: "s", challenge: pkce.challenge, redirectUri: "http://127.0.0.1:9/elsewhere" }),
      );
      assert.equal(bad.status, 400);
      assert.equal(bad.headers.get("location"), null, "never sent to an unregistered URI");
      assert.equal(await countRows(s, "oauth_store"), before);

      const scope = await jar.fetch(authorizeUrl(s.url, app, { scope: "read write", state: "s2", challenge: pkce.challenge }));
      assert.equal(scope.status, 303);
      const back = new URL(scope.headers.get("location")!);
      assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
      assert.equal(back.searchParams.get("error"), "invalid_scope");
      assert.equal(back.searchParams.get("state"), "s2");

      const plain = await jar.fetch(
        authorizeUrl(s.url, app, { scope: "read", state: "s3", challenge: pkce.challenge }).replace(
          "code_challenge_method=S256",
          "code_challenge_method=plain",
        ),
      );
      assert.equal(new URL(plain.headers.get("location")!).searchParams.get("error"), "invalid_request", "only S256");
      assert.equal(await countRows(s, "oauth_store"), before, "nothing stored for refused requests");
    });

    it("a user of another org cannot see or authorize the app; denial sends access_denied; bad answers are 4xx", async () => {
      const jar = new CookieJar();
      const started = await startAuthorization(jar, authorizeUrl(s.url, app, { scope: "read", state: "s", challenge: newPkce().challenge }));
      const grantsBefore = await countRows(s, "oauth_grants");
      const devicesBefore = await countRows(s, "devices");
      const foreign = await consentCall(jar, s.url, started.uid!, other.accessToken);
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.code, "not_found");
      assert.ok(!JSON.stringify(foreign.body).includes("Tracker"), "the app's name is not leaked");
      assert.equal((await consentCall(jar, s.url, started.uid!, other.accessToken, true)).status, 404);
      assert.equal(await countRows(s, "oauth_grants"), grantsBefore);
      assert.equal(await countRows(s, "devices"), devicesBefore);

      // Without the browser's interaction cookie (another browser), or signed out, or with a bad body.
      assert.equal((await consentCall(new CookieJar(), s.url, started.uid!, member.accessToken)).status, 404);
      const anon = await jar.fetch(`${s.url}/api/v1/oauth/consent/${started.uid}`);
      assert.equal(anon.status, 401);
      const badBody = await jar.fetch(`${s.url}/api/v1/oauth/consent/${started.uid}`, {
        method: "POST",
        headers: { authorization: `Bearer ${member.accessToken}`, "content-type": "application/json" },
        body: JSON.stringify({ allow: "yes" }),
      });
      assert.equal(badBody.status, 400);
      assert.equal(((await badBody.json()) as { code: string }).code, "validation_failed");
      assert.equal(await countRows(s, "oauth_grants"), grantsBefore);

      const denied = await consentCall(jar, s.url, started.uid!, member.accessToken, false);
      assert.equal(denied.status, 200);
      const back = await followToApp(jar, s.url, String(denied.body.redirectTo));
      assert.equal(back.searchParams.get("error"), "access_denied");
      assert.equal(back.searchParams.get("code"), null);
      assert.equal(await countRows(s, "oauth_grants"), grantsBefore);
      assert.equal((await audits("oauth.consent.denied")).length, 1);
    });

    it("validates registrations: admins only, https or loopback redirect URIs, known scopes; nothing written on rejection", async () => {
      const before = await countRows(s, "oauth_apps");
      const bad = [
        { name: "x", redirectUris: ["http://example.com/cb"], scopes: ["read"] },
        { name: "x", redirectUris: ["https://example.com/cb#frag"], scopes: ["read"] },
        { name: "x", redirectUris: [], scopes: ["read"] },
        { name: "x", redirectUris: ["https://example.com/cb"], scopes: ["delete"] },
        { name: "", redirectUris: ["https://example.com/cb"], scopes: ["read"] },
      ];
      for (const body of bad) {
        const r = await owner.api("POST", "/oauth-apps", body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.body.code, "validation_failed");
      }
      assert.equal((await member.api("POST", "/oauth-apps", { name: "x", redirectUris: ["https://example.com/cb"], scopes: ["read"] })).status, 403);
      assert.equal(await countRows(s, "oauth_apps"), before);
      const native = await owner.api("POST", "/oauth-apps", {
        name: "Desktop",
        redirectUris: ["com.example.desk:/cb", "https://example.com/cb"],
        scopes: ["read"],
      });
      assert.equal(native.status, 201, JSON.stringify(native.body));
      // The other org does not see this org's apps.
      assert.ok(!(await other.api("GET", "/oauth-apps")).body.apps.some((a: { id: string }) => a.id === native.body.id));
    });
  });
}
