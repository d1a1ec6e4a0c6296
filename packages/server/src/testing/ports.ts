/**
 * Ports for tests and benchmarks: always on 127.0.0.1 and below 32768 (the
 * ephemeral range above is for outgoing connections and is never bound).
 */
import net from "node:net";

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
