/**
 * Test support: a webhook receiver on 127.0.0.1 (plain HTTP) that records every request, checks
 * its signature with the integration's secret, and answers per path: `/ok` 200, `/flaky` 503
 * for the first `flakyFailures` attempts of each delivery, `/redirect` 302 to `redirectTo`,
 * `/hang` never, `/gone` 410. `paused` makes every path answer 503.
 */
import http from "node:http";
import { freePort } from "@parley/server/testing/ports";
import { verifySignature } from "../webhooks/signature.ts";
import type { OutgoingPayload } from "../webhooks/outgoing.ts";

export interface Received {
  path: string;
  deliveryId: string;
  attempt: number;
  payload: OutgoingPayload;
  signatureOk: boolean;
  status: number;
}

export interface Receiver {
  url: string;
  hostPort: string;
  got: Received[];
  /** Delivered (answered 2xx), by delivery id. */
  delivered(): Map<string, Received[]>;
  paused: boolean;
  close(): Promise<void>;
}

export async function startReceiver(o: { secrets: () => Map<string, string>; flakyFailures?: number; redirectTo?: string; port?: number }): Promise<Receiver> {
  const got: Received[] = [];
  const attempts = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  const r: Receiver = {
    url: "",
    hostPort: "",
    got,
    paused: false,
    delivered() {
      const m = new Map<string, Received[]>();
      for (const g of got) if (g.status >= 200 && g.status < 300) m.set(g.deliveryId, [...(m.get(g.deliveryId) ?? []), g]);
      return m;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const payload = JSON.parse(body) as OutgoingPayload;
      const deliveryId = String(req.headers["x-parley-delivery"]);
      const secret = o.secrets().get(payload.integration.id) ?? "";
      const signatureOk = verifySignature(secret, String(req.headers["x-parley-signature"]), body, Date.now()).ok;
      const path = req.url ?? "/";
      const n = (attempts.get(deliveryId) ?? 0) + 1;
      attempts.set(deliveryId, n);
      let status = 200;
      if (r.paused) status = 503;
      else if (path === "/flaky" && n <= (o.flakyFailures ?? 2)) status = 503;
      else if (path === "/redirect") status = 302;
      else if (path === "/gone") status = 410;
      else if (path === "/hang") status = 0;
      got.push({ path, deliveryId, attempt: Number(req.headers["x-parley-attempt"]), payload, signatureOk, status });
      if (status === 0) {
        hanging.add(res);
        return;
      }
      res.writeHead(status, status === 302 ? { location: o.redirectTo ?? "http://127.0.0.1:1/" } : {});
      res.end();
    });
  });
  const port = o.port ?? (await freePort());
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  r.url = `http://127.0.0.1:${port}`;
  r.hostPort = `127.0.0.1:${port}`;
  return r;
}

/** An HTTP server that only counts the requests it gets (a stand-in for internals a redirect points at). */
export async function startCounter(): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.end("internal");
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
