/**
 * Shared rate limits (PARLEY_REDIS_URL): two nodes on one PostgreSQL database and one real
 * Redis. A login throttle earned through node A applies on node B; with Redis down each node
 * falls back to its own counters (limits still apply, /readyz says `redis: false` and stays
 * ready); after a Redis restart the nodes share counters again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call } from "../../testing/factories.ts";
import { startTestRedis } from "../../testing/redis.ts";

const ATTEMPTS = 3;

async function eventually(what: string, fn: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await fn())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within 10 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const login = (s: TestServer, org: string, username: string) =>
  call(s, "POST", "/auth/login", { org, username, password: "wrong password 0123456789", deviceName: "d" });
const readyz = async (s: TestServer) => {
  const r = await fetch(`${s.url}/readyz`);
  return { status: r.status, body: (await r.json()) as { ok: boolean; checks: Record<string, boolean> } };
};

test(
  "login throttling is shared through Redis by two nodes, falls back per node while Redis is down, recovers after a restart (postgres)",
  { timeout: 90_000 },
  async () => {
    const redis = await startTestRedis();
    const database = await createTestDatabase("postgres");
    const config = { redisUrl: redis.url, loginAttempts: ATTEMPTS };
    const a = await startTestServer({ database, config });
    const b = await startTestServer({ database, config });
    try {
      const owner = await bootstrapOrg(a);
      const org = owner.org.slug;
      await eventually(
        "both nodes connected to Redis",
        async () => (await readyz(a)).body.checks.redis === true && (await readyz(b)).body.checks.redis === true,
      );

      // Failed sign-ins through A use up the account's allowance on B too.
      for (let i = 0; i < ATTEMPTS; i++) assert.equal((await login(a, org, "owner")).status, 401);
      const throttled = await login(b, org, "owner");
      assert.equal(throttled.status, 429);
      assert.equal(throttled.body.code, "login_throttled");

      // Redis down: still ready (documented: limits fall back to each node's memory), and limits still apply per node.
      await redis.stop();
      await eventually("readyz reports Redis down", async () => (await readyz(a)).body.checks.redis === false);
      const down = await readyz(a);
      assert.equal(down.status, 200);
      assert.equal(down.body.ok, true);
      for (let i = 0; i < ATTEMPTS; i++) assert.equal((await login(a, org, "ghost")).status, 401, "no 500 while Redis is down");
      assert.equal((await login(a, org, "ghost")).status, 429, "node A's own counters throttle");
      assert.equal((await login(b, org, "ghost")).status, 401, "node B counts on its own meanwhile");

      // Redis back (empty: no persistence in the test): both nodes share counters again.
      await redis.start();
      await eventually("both nodes reconnected", async () => (await readyz(a)).body.checks.redis === true && (await readyz(b)).body.checks.redis === true);
      for (let i = 0; i < ATTEMPTS; i++) assert.equal((await login(b, org, "casper")).status, 401);
      assert.equal((await login(a, org, "casper")).status, 429);
    } finally {
      await a.stop();
      await b.stop();
      await database.drop();
      await redis.stop();
    }
  },
);
