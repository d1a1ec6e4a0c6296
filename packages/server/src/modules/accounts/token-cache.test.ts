/** Verified access tokens are remembered, but never past their expiry or their session. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg } from "../../testing/factories.ts";

test("a remembered token still expires on time and still dies with its session", async (t) => {
  const s = await startTestServer({ config: { accessTokenTtl: 60 } });
  t.after(() => s.stop());
  const owner = await bootstrapOrg(s);
  assert.equal((await owner.api("GET", "/me")).status, 200);
  assert.equal((await owner.api("GET", "/me")).status, 200); // served from the verified-token cache
  assert.ok(s.deps.keys.verified.has(owner.accessToken));
  const realNow = s.deps.now;
  s.deps.now = () => realNow() + 61_000;
  const expired = await owner.api("GET", "/me");
  assert.equal(expired.status, 401);
  assert.equal(expired.body.code, "token_expired");
  s.deps.now = realNow;
  // Logout ends the session: the cached signature check does not keep the token alive.
  const again = await owner.api("POST", "/auth/refresh", { refreshToken: owner.tokens.refreshToken });
  assert.equal(again.status, 200);
  const headers = { authorization: `Bearer ${again.body.accessToken}` };
  assert.equal((await fetch(`${s.url}/api/v1/me`, { headers })).status, 200);
  assert.equal((await fetch(`${s.url}/api/v1/auth/logout`, { method: "POST", headers })).status, 204);
  assert.equal((await fetch(`${s.url}/api/v1/me`, { headers })).status, 401);
});
