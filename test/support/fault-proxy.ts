/**
 * A fault-injecting reverse proxy on 127.0.0.1 for system tests: clients talk to it,
 * it forwards HTTP requests and WebSocket upgrades to the server's port (which may
 * be down while the server restarts), or, given several ports, to each in turn like a
 * load balancer: an upstream that refuses a connection is skipped for a while, so
 * clients whose node died reconnect to another. The test can drop every connection and refuse
 * new ones for a while (a network outage), or drop only requests whose path matches
 * (a flaky route), to show what clients do when answers never come.
 */
import http from "node:http";
import net from "node:net";
import { freePort } from "./child.ts";

export interface FaultProxy {
  url: string;
  /** Close every open connection and refuse (reset) new ones for `ms`. */
  outage(ms: number): void;
  /** Drop requests whose path matches for `ms` (the connection is reset before any answer). */
  dropPaths(pattern: RegExp, ms: number): void;
  /** Requests dropped so far (outages and path drops). */
  readonly dropped: number;
  /** WebSocket upgrades forwarded so far, per upstream port. */
  readonly upgrades: ReadonlyMap<number, number>;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: number | number[]): Promise<FaultProxy> {
  const upstreams = Array.isArray(upstream) ? upstream : [upstream];
  const skipUntil = new Map<number, number>();
  const upgrades = new Map<number, number>();
  // Requests and upgrades take turns separately, so WebSockets spread over the upstreams whatever the HTTP traffic.
  const turns = { http: 0, ws: 0 };
  /** The next upstream in turn that has not refused a connection in the last second. */
  const pick = (kind: "http" | "ws"): number => {
    for (let i = 0; i < upstreams.length; i++) {
      const port = upstreams[turns[kind]++ % upstreams.length]!;
      if ((skipUntil.get(port) ?? 0) <= Date.now()) return port;
    }
    return upstreams[turns[kind]++ % upstreams.length]!;
  };
  const refused = (port: number, err: NodeJS.ErrnoException) => {
    if (err.code === "ECONNREFUSED" && upstreams.length > 1) skipUntil.set(port, Date.now() + 1000);
  };
  const sockets = new Set<net.Socket>();
  let downUntil = 0;
  const pathDrops: { pattern: RegExp; until: number }[] = [];
  let dropped = 0;
  const down = () => Date.now() < downUntil;
  const pathDropped = (url: string) => pathDrops.some((d) => Date.now() < d.until && d.pattern.test(new URL(url, "http://x").pathname));

  const server = http.createServer((req, res) => {
    if (down() || pathDropped(req.url ?? "/")) {
      dropped++;
      req.socket.destroy();
      return;
    }
    const port = pick("http");
    const up = http.request({ host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    // The server is down (restarting): the client sees the connection drop, as it would.
    up.on("error", (err) => {
      refused(port, err);
      req.socket.destroy();
    });
    req.pipe(up);
  });
  server.on("upgrade", (req, socket, head) => {
    if (down()) {
      dropped++;
      socket.destroy();
      return;
    }
    const port = pick("ws");
    upgrades.set(port, (upgrades.get(port) ?? 0) + 1);
    const up = net.connect(port, "127.0.0.1", () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    track(up);
    up.on("error", (err) => {
      refused(port, err);
      socket.destroy();
    });
    socket.on("error", () => up.destroy());
    up.on("close", () => socket.destroy());
    socket.on("close", () => up.destroy());
  });
  function track(s: net.Socket): void {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  }
  server.on("connection", (s) => {
    if (down()) {
      dropped++;
      s.destroy();
      return;
    }
    track(s);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    outage(ms) {
      downUntil = Date.now() + ms;
      for (const s of sockets) s.destroy();
    },
    dropPaths(pattern, ms) {
      pathDrops.push({ pattern, until: Date.now() + ms });
    },
    get dropped() {
      return dropped;
    },
    upgrades,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
