/**
 * The scale-out deployment of the chaos and rolling-restart tests: three Parley processes on
 * the test's own PostgreSQL, NATS between them (each node through its own pass-through, so one
 * can be cut off alone) and Redis for shared limits, behind a round-robin balancer. Everything
 * the cluster starts is stopped by its PID when the test ends.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { startTestNats, type TestNats } from "@parley/server/testing/nats";
import { startTestRedis, type TestRedis } from "@parley/server/testing/redis";
import { startTcpProxy, type TcpProxy } from "@parley/server/testing/tcp-proxy";
import { freePort, startChildServer, type ChildServer } from "./child.ts";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.ts";
import { startOwnPostgres, type OwnPostgres } from "./own-postgres.ts";

export interface Cluster {
  pg: OwnPostgres;
  nats: TestNats;
  redis: TestRedis;
  /** Node i's own pass-through to NATS (cut it to partition that node alone). */
  natsLinks: TcpProxy[];
  /** The running process of each node (replaced when a node is started again). */
  nodes: ChildServer[];
  ports: number[];
  /** Start node i (again) on its port; it replaces `nodes[i]`. */
  start(i: number): Promise<ChildServer>;
  /** Round-robin over the three nodes' ports: what clients talk to. */
  balancer: FaultProxy;
}

export async function startCluster(t: { after(fn: () => unknown): void }, env: Record<string, string> = {}): Promise<Cluster> {
  // Stopped in the reverse order of starting (the balancer and the nodes before what they use), each even if another fails.
  const stops: (() => unknown)[] = [];
  t.after(async () => {
    const failures: unknown[] = [];
    for (const stop of stops.reverse())
      await Promise.resolve()
        .then(stop)
        .catch((err: unknown) => failures.push(err));
    if (failures.length) throw failures[0];
  });
  const pg = await startOwnPostgres();
  stops.push(() => pg.stop());
  const nats = await startTestNats();
  stops.push(() => nats.cleanup());
  const redis = await startTestRedis();
  stops.push(() => redis.stop());
  const natsLinks: TcpProxy[] = [];
  for (let i = 0; i < 3; i++) {
    const link = await startTcpProxy(nats.port);
    natsLinks.push(link);
    stops.push(() => link.close());
  }
  // One data directory: the nodes share the KMS key file (and, without S3, the blobs).
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-cluster-"));
  stops.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes: ChildServer[] = [];
  stops.push(async () => {
    for (const n of nodes) await n.kill9();
  });
  const start = async (i: number) =>
    (nodes[i] = await startChildServer({
      dataDir,
      databaseUrl: pg.url,
      port: ports[i]!,
      setupToken: TEST_SETUP_TOKEN,
      env: {
        PARLEY_CHECK_MLS_FRAMING: "true",
        PARLEY_NATS_URL: `nats://127.0.0.1:${natsLinks[i]!.port}`,
        PARLEY_REDIS_URL: redis.url,
        ...env,
      },
    }));
  // The first node migrates the database and makes the KMS key file; the other two then start together.
  await start(0);
  await Promise.all([start(1), start(2)]);
  const balancer = await startFaultProxy(ports);
  stops.push(() => balancer.close());
  return { pg, nats, redis, natsLinks, nodes, ports, start, balancer };
}

/**
 * A WebSocket class for `ClientOptions.WebSocket` that reports the node behind every connection
 * the gateway made ready: `ready.connectionId` starts with the node's id and a "-".
 */
export function reportingNode(onReady: (nodeId: string) => void): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener("message", (m: MessageEvent) => {
        if (typeof m.data !== "string" || !m.data.includes('"ready"')) return;
        const f = JSON.parse(m.data) as { t?: string; connectionId?: string };
        if (f.t === "ready" && f.connectionId) onReady(f.connectionId.split("-", 1)[0]!);
      });
    }
  };
}

/** Resolves once `GET /readyz` of `baseUrl` answers 200; fails after `ms` with the last answer. */
export async function waitReady(baseUrl: string, ms = 20_000): Promise<void> {
  let last = "no answer";
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    try {
      const r = await fetch(`${baseUrl}/readyz`);
      if (r.status === 200) return;
      last = `${r.status} ${await r.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
  }
  throw new Error(`${baseUrl}/readyz did not answer 200 within ${ms} ms (last: ${last})`);
}
