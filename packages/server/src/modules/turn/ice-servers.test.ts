/**
 * GET /calls/ice-servers end to end: a signed-in device gets STUN + TURN with a credential that
 * the real coturn (scripts/coturn.sh) accepts, answered no-store; the per-device limit answers
 * 429; no TURN configured gives an empty list; no token gives 401. The credential counter and
 * coturn's allocation count show in the metrics registry (/metrics). SQLite and PostgreSQL.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call } from "../../testing/factories.ts";
import { startTestCoturn, type TestCoturn } from "../../testing/coturn.ts";
import { turnAllocate } from "../../testing/turn-client.ts";

let turn: TestCoturn;
before(async () => {
  turn = await startTestCoturn();
});
after(() => turn?.stop());

for (const dialect of DIALECTS) {
  test(`a device gets ICE servers whose TURN credential coturn accepts; limited per device (${dialect})`, async (t) => {
    const s = await startTestServer({
      dialect,
      config: {
        turnServer: `127.0.0.1:${turn.port}`,
        turnSecret: turn.secret,
        turnCredentialTtl: 300,
        turnCredentialsPerHour: 3,
        turnCli: `127.0.0.1:${turn.cliPort}`,
        turnCliPassword: turn.cliPassword,
      },
    });
    t.after(() => s.stop());
    const owner = await bootstrapOrg(s, { orgSlug: `ice-${dialect}` });
    const res = await owner.api("GET", "/calls/ice-servers");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers.get("cache-control"), "no-store");
    const relay = res.body.iceServers.find((i: { username?: string }) => i.username);
    assert.ok(relay, JSON.stringify(res.body));
    assert.ok(res.body.expiresAt > Date.now() + 290_000 && res.body.expiresAt <= Date.now() + 300_000);
    for (const transport of ["udp", "tcp"] as const) {
      const r = await turnAllocate({ port: turn.port, transport, username: relay.username, password: relay.credential });
      assert.equal(r.ok, true, `${transport}: ${JSON.stringify(r)}`);
    }
    // Tampering with the expiry breaks the HMAC: coturn refuses it.
    const later = relay.username.replace(/^\d+/, (n: string) => String(Number(n) + 86400));
    const forged = await turnAllocate({ port: turn.port, transport: "udp", username: later, password: relay.credential });
    assert.equal(forged.ok ? 0 : forged.error, 401);

    assert.equal((await owner.api("GET", "/calls/ice-servers")).status, 200);
    assert.equal((await owner.api("GET", "/calls/ice-servers")).status, 200);
    const limited = await owner.api("GET", "/calls/ice-servers");
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, "rate_limited");

    assert.equal((await call(s, "GET", "/calls/ice-servers")).status, 401);

    const metrics = await s.deps.metrics.registry.metrics();
    assert.match(metrics, /^parley_turn_credentials_issued_total 3$/m);
    assert.match(metrics, /^parley_turn_allocations \d+$/m);
  });
}

test("without a TURN server the list is empty", async (t) => {
  const s = await startTestServer();
  t.after(() => s.stop());
  const owner = await bootstrapOrg(s, { orgSlug: "ice-none" });
  const res = await owner.api("GET", "/calls/ice-servers");
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { iceServers: [], expiresAt: null });
});
