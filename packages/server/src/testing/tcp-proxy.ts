/**
 * A TCP pass-through on 127.0.0.1 (a free port below 32768) in front of one upstream port, for
 * network faults between a node and a service: `cut()` drops every connection through it and
 * refuses new ones (a partition) until `heal()`.
 */
import net from "node:net";
import { freePort } from "./ports.ts";

export interface TcpProxy {
  port: number;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(upstreamPort: number): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let partitioned = false;
  const server = net.createServer((client) => {
    if (partitioned) {
      client.destroy();
      return;
    }
    const up = net.connect(upstreamPort, "127.0.0.1");
    for (const s of [client, up]) {
      open.add(s);
      s.on("close", () => open.delete(s));
      s.on("error", () => {
        client.destroy();
        up.destroy();
      });
    }
    client.pipe(up);
    up.pipe(client);
    client.on("close", () => up.destroy());
    up.on("close", () => client.destroy());
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port,
    cut() {
      partitioned = true;
      for (const s of open) s.destroy();
    },
    heal() {
      partitioned = false;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
