/** Per-address limits apply before authentication and body parsing. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer } from "../testing/harness.ts";

test("requests with bad tokens or bad bodies still count against the address limit (429 + Retry-After)", async (t) => {
  const s = await startTestServer({ config: { rateLimitIp: 5 } });
  t.after(() => s.stop());
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  for (let i = 0; i < 8; i++) {
    const r =
      i % 2 === 0
        ? await fetch(`${s.url}/api/v1/me`, { headers: { authorization: "Bearer not-a-token" } })
        : await fetch(`${s.url}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    statuses.push(r.status);
    if (r.status === 429) {
      retryAfter = r.headers.get("retry-after");
      assert.equal(((await r.json()) as { code: string }).code, "rate_limited");
    } else await r.body?.cancel();
  }
  assert.deepEqual(statuses.slice(0, 5), [401, 400, 401, 400, 401]);
  assert.deepEqual(statuses.slice(5), [429, 429, 429]);
  assert.ok(Number(retryAfter) > 0);
  // Health checks are not API calls and stay reachable.
  assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
});
