/**
 * /metrics is never public by default: off unless configured; with
 * PARLEY_METRICS_TOKEN it needs the bearer token; with PARLEY_METRICS_LISTEN
 * it moves to its own listener (127.0.0.1 unless told otherwise).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, loadConfig, redactedConfig } from "../config/schema.ts";
import { DIALECTS, startTestServer } from "../testing/harness.ts";
import { freePort } from "../testing/ports.ts";
import { enqueueJob } from "../platform/jobs/index.ts";

const TOKEN = "metrics-token-0123456789abcdef";

async function get(url: string, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, text: await res.text() };
}

describe("metrics settings", () => {
  it("PARLEY_METRICS_LISTEN is [HOST:]PORT with 127.0.0.1 as the default host", () => {
    assert.deepEqual(loadConfig({}, { PARLEY_METRICS_LISTEN: "9464" }).metricsListen, { host: "127.0.0.1", port: 9464 });
    assert.deepEqual(loadConfig({}, { PARLEY_METRICS_LISTEN: "10.0.0.5:9464" }).metricsListen, { host: "10.0.0.5", port: 9464 });
    assert.deepEqual(loadConfig({}, { PARLEY_METRICS_LISTEN: "[::1]:9464" }).metricsListen, { host: "::1", port: 9464 });
    assert.equal(loadConfig({}, {}).metricsListen, undefined);
    for (const bad of ["host:", "http://x:1", "70000", "a b:1"]) {
      assert.throws(
        () => loadConfig({}, { PARLEY_METRICS_LISTEN: bad }),
        (e: unknown) => e instanceof ConfigError && /PARLEY_METRICS_LISTEN/.test(e.message),
        bad,
      );
    }
  });

  it("the token is a secret: at least 16 characters, redacted in the startup log", () => {
    assert.throws(() => loadConfig({}, { PARLEY_METRICS_TOKEN: "short" }), /PARLEY_METRICS_TOKEN/);
    const config = loadConfig({}, { PARLEY_METRICS_TOKEN: TOKEN });
    assert.equal(redactedConfig(config).metricsToken, "[redacted]");
  });
});

for (const dialect of DIALECTS) {
  describe(`/metrics (${dialect})`, () => {
    it("is not served by default", async () => {
      const s = await startTestServer({ dialect });
      try {
        assert.equal(s.metricsUrl, undefined);
        const r = await get(`${s.url}/metrics`);
        assert.equal(r.status, 404);
        assert.doesNotMatch(r.text, /parley_/);
      } finally {
        await s.stop();
      }
    });

    it("with PARLEY_METRICS_TOKEN: only requests bearing the token get them", async () => {
      const s = await startTestServer({ dialect, config: { metricsToken: TOKEN } });
      try {
        assert.equal(s.metricsUrl, `${s.url}/metrics`);
        for (const token of [undefined, "wrong-token-0123456789", `${TOKEN}x`]) {
          const r = await get(`${s.url}/metrics`, token);
          assert.equal(r.status, 401, String(token));
          assert.equal(JSON.parse(r.text).code, "unauthorized");
        }
        const ok = await get(`${s.url}/metrics`, TOKEN);
        assert.equal(ok.status, 200);
        assert.match(ok.text, /parley_ws_connections/);
        assert.ok(!s.logs.join("").includes(TOKEN), "the token never reaches the logs");
      } finally {
        await s.stop();
      }
    });

    it("GET /ops/jobs: the job queue for operators, with the metrics token; payloads never shown", async () => {
      const s = await startTestServer({ dialect, config: { metricsToken: TOKEN } });
      try {
        assert.equal((await get(`${s.url}/ops/jobs`)).status, 401);
        const before = await get(`${s.url}/ops/jobs`, TOKEN);
        assert.equal(before.status, 200);
        assert.deepEqual(Object.keys(JSON.parse(before.text).counts).sort(), ["dead", "done", "queued", "running"]);
        // A job no runner has a handler for stays queued.
        await s.deps.db.transaction().execute((tx) => enqueueJob(tx, "ops.test", { secret: "payload-9f3a" }, { runAt: Date.now() + 3_600_000 }));
        const after = await get(`${s.url}/ops/jobs?state=queued&limit=5`, TOKEN);
        assert.equal(after.status, 200);
        const body = JSON.parse(after.text) as { counts: Record<string, number>; jobs: Array<{ name: string; state: string }> };
        assert.ok(body.counts.queued! >= 1);
        assert.ok(body.jobs.some((j) => j.name === "ops.test" && j.state === "queued"));
        assert.doesNotMatch(after.text, /payload-9f3a/);
        for (const q of ["state=bogus", "limit=0", "limit=501", "other=1"]) {
          const bad = await get(`${s.url}/ops/jobs?${q}`, TOKEN);
          assert.equal(bad.status, 400, q);
          assert.equal(JSON.parse(bad.text).code, "validation_failed", q);
        }
      } finally {
        await s.stop();
      }
    });

    it("with PARLEY_METRICS_LISTEN: served on the separate listener only, which also honours the token", async () => {
      const port = await freePort();
      const s = await startTestServer({ dialect, config: { metricsListen: `127.0.0.1:${port}` } });
      try {
        assert.equal(s.metricsUrl, `http://127.0.0.1:${port}/metrics`);
        assert.equal((await get(`${s.url}/metrics`)).status, 404, "not on the main listener");
        const ok = await get(s.metricsUrl);
        assert.equal(ok.status, 200);
        assert.match(ok.text, /parley_http_request_duration_seconds/);
        assert.equal((await get(`http://127.0.0.1:${port}/api/v1/setup`)).status, 404, "nothing else is served there");
        const jobs = await get(`http://127.0.0.1:${port}/ops/jobs?state=dead`);
        assert.equal(jobs.status, 200, "the job queue is served beside the metrics");
        assert.deepEqual(JSON.parse(jobs.text).jobs, []);
        assert.equal((await get(`${s.url}/ops/jobs`)).status, 404, "and not on the main listener");
      } finally {
        await s.stop();
      }
      // Closed with the server.
      await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`));

      const port2 = await freePort();
      const t = await startTestServer({ dialect, config: { metricsListen: String(port2), metricsToken: TOKEN } });
      try {
        assert.equal(t.metricsUrl, `http://127.0.0.1:${port2}/metrics`, "127.0.0.1 by default");
        assert.equal((await get(t.metricsUrl)).status, 401);
        assert.equal((await get(t.metricsUrl, TOKEN)).status, 200);
        assert.equal((await get(`${t.url}/metrics`, TOKEN)).status, 404, "not on the main listener, token or not");
      } finally {
        await t.stop();
      }
    });
  });
}
