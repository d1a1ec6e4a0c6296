/**
 * The per-address limit counts the route the router matched, however the
 * request target was spelled: raw HTTP over a socket, so nothing normalises
 * the target before the server sees it.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { DIALECTS, startTestServer, type TestServer } from "../testing/harness.ts";

/** Send one raw HTTP/1.1 request with this exact request target; the status and headers of the answer. */
function rawGet(server: TestServer, target: string): Promise<{ status: number; headers: string }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), hostname, () => {
      sock.write(`GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`);
    });
    let data = "";
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      data += d;
    });
    sock.on("error", reject);
    sock.on("end", () => {
      const head = data.slice(0, data.indexOf("\r\n\r\n"));
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head.toLowerCase() });
    });
  });
}

const LIMIT = 5;

for (const dialect of DIALECTS) {
  describe(`per-address rate limit on the routed path (${dialect})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ dialect, config: { rateLimitIp: LIMIT } });
    });
    after(() => s.stop());
    const fresh = () => s.deps.limits.ip.reset("127.0.0.1");

    /** Statuses of `n` requests to `target`, after a fresh allowance. */
    async function statuses(target: string, n: number): Promise<number[]> {
      await fresh();
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await rawGet(s, target)).status);
      return out;
    }

    it("a percent-encoded API path is served and limited like the plain one", async () => {
      assert.deepEqual(await statuses("/api/v1/setup", LIMIT + 2), [200, 200, 200, 200, 200, 429, 429]);
      assert.deepEqual(await statuses("/%61pi/v1/setup", LIMIT + 2), [200, 200, 200, 200, 200, 429, 429]);
      const last = await rawGet(s, "/%61pi/v1/setup");
      assert.match(last.headers, /\r\nretry-after: \d+/);
    });

    it("an absolute-form request target is limited", async () => {
      const abs = `${s.url}/api/v1/setup`;
      assert.deepEqual(await statuses(abs, LIMIT + 2), [200, 200, 200, 200, 200, 429, 429]);
    });

    it("every spelling shares one allowance", async () => {
      await fresh();
      const got: number[] = [];
      for (const target of ["/api/v1/setup", "/%61pi/v1/setup", `${s.url}/api/v1/setup`, "/api/v1/%73etup", "/api/v1/setup", "/%61pi/v1/setup"]) {
        got.push((await rawGet(s, target)).status);
      }
      assert.deepEqual(got, [200, 200, 200, 200, 200, 429]);
    });

    it("requests no route matches count too; health probes do not", async () => {
      assert.deepEqual(await statuses("/%61pi/v1/no-such-route", LIMIT + 1), [404, 404, 404, 404, 404, 429]);
      assert.deepEqual(await statuses("/api/openapi.json", LIMIT + 1), [200, 200, 200, 200, 200, 429]);
      await fresh();
      for (let i = 0; i < LIMIT * 3; i++) assert.equal((await rawGet(s, "/healthz")).status, 200);
      assert.equal((await rawGet(s, "/readyz")).status, 200);
    });
  });
}
