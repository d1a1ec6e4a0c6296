/**
 * Entry point of one server under test, run in its own child process so the
 * bench measures only that server's CPU and memory. Usage (via fork):
 *   node --expose-gc bench/src/server-child.ts bare|parley   (config JSON in PARLEY_BENCH_CONFIG)
 * IPC: sends {type:"ready", url}; answers {type:"usage"} with process.cpuUsage()
 * and RSS (after a full GC when asked). Stops on SIGTERM.
 */
import { pathToFileURL } from "node:url";
import { startBareServer } from "./bare-server.ts";

export type ServerKind = "bare" | "parley";

export interface UsageReply {
  type: "usage";
  id: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  connections: number;
}
export type ChildRequest = { type: "usage"; id: number; gc?: boolean };

interface Running {
  url: string;
  connectionCount(): number;
  close(): Promise<void>;
}

async function start(kind: ServerKind, config: Record<string, unknown>): Promise<Running> {
  if (kind === "bare") return startBareServer({ host: "127.0.0.1", port: Number(config.port ?? 0) });
  // Imported lazily so the bare run never loads Parley's code into its heap.
  // PARLEY_BENCH_SERVER_ENTRY: another checkout's server (the funnel bench's baseline).
  const entry = process.env.PARLEY_BENCH_SERVER_ENTRY;
  const { createServer } = (entry ? await import(pathToFileURL(entry).href) : await import("@parley/server")) as typeof import("@parley/server");
  const s = await createServer({ env: {}, config });
  return { url: s.url, connectionCount: () => s.gateway.connectionCount(), close: () => s.close() };
}

async function main(): Promise<void> {
  const kind = process.argv[2] as ServerKind;
  if (kind !== "bare" && kind !== "parley") throw new Error("usage: server-child.ts bare|parley");
  if (!process.send) throw new Error("server-child.ts must be started with an IPC channel (fork)");
  const config = JSON.parse(process.env.PARLEY_BENCH_CONFIG ?? "{}") as Record<string, unknown>;
  const server = await start(kind, config);
  const gc = (globalThis as { gc?: () => void }).gc;

  process.on("message", (msg: ChildRequest) => {
    if (msg?.type !== "usage") return;
    if (msg.gc && gc) {
      gc();
      gc();
    }
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    const reply: UsageReply = {
      type: "usage",
      id: msg.id,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      connections: server.connectionCount(),
    };
    process.send?.(reply);
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Bounded: a server that cannot drain in 10 s is ended anyway.
    setTimeout(() => process.exit(0), 10_000).unref();
    server.close().finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("disconnect", stop);
  process.send({ type: "ready", url: server.url });
}

main().catch((err: unknown) => {
  console.error(`server-child: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
