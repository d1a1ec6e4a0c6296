/**
 * Ports for tests and benchmarks: always on 127.0.0.1 and below 32768 (the
 * ephemeral range above is for outgoing connections and is never bound).
 */
import net from "node:net";
import type { ChildProcess } from "node:child_process";

/** A port in [20000, 32000) that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const ok = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error("no free port below 32768 on 127.0.0.1");
}

/** True if `err` says the port was taken between freePort() and listen(). */
export function isAddressInUse(err: unknown): boolean {
  return (err as { code?: string })?.code === "EADDRINUSE";
}

/**
 * Resolves once something accepts TCP connections on 127.0.0.1:`port` (a server a test
 * spawned); throws when `child` exits first or after `ms`, naming `what` and its `output`.
 */
export async function waitForListening(port: number, o: { child: ChildProcess; what: string; ms?: number; output?: () => string }): Promise<void> {
  const deadline = Date.now() + (o.ms ?? 10_000);
  const tail = () => (o.output ? `:\n${o.output().slice(-4000)}` : "");
  for (;;) {
    if (o.child.exitCode !== null) throw new Error(`${o.what} exited with ${o.child.exitCode}${tail()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${o.what} did not listen on 127.0.0.1:${port} within ${o.ms ?? 10_000} ms${tail()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
