/**
 * The baseline: a minimal broadcast server on bare `ws`, speaking the same
 * frame shapes as Parley's gateway (hello -> ready + synced; send -> ack +
 * one `event` frame to every connection). It does no auth, no persistence,
 * no validation beyond JSON.parse: it is the floor Parley's gateway is
 * compared against, so anything extra here would flatter Parley.
 */
import http from "node:http";
import crypto from "node:crypto";
import { WebSocketServer, type WebSocket } from "ws";
import { WS_PATH } from "@parley/protocol";

export interface BareServer {
  url: string;
  connectionCount(): number;
  close(): Promise<void>;
}

export async function startBareServer(opts: { host: string; port: number }): Promise<BareServer> {
  const server = http.createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server, path: WS_PATH, perMessageDeflate: false });
  const clients = new Set<WebSocket>();
  const channelSeq = new Map<string, number>();
  const senderId = "bare-user";
  let nextConn = 0;

  wss.on("connection", (ws) => {
    const connectionId = `c${++nextConn}`;
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      let frame: { t?: string; ref?: string; channelId?: string; clientId?: string; kind?: string; content?: string };
      try {
        frame = JSON.parse(String(data));
      } catch {
        ws.close(4400);
        return;
      }
      if (frame.t === "hello") {
        clients.add(ws);
        ws.send(JSON.stringify({ t: "ready", connectionId, serverTime: Date.now(), heartbeatMs: 30_000 }));
        ws.send('{"t":"synced"}');
      } else if (frame.t === "send" && clients.has(ws)) {
        const channelId = frame.channelId ?? "c";
        const seq = (channelSeq.get(channelId) ?? 0) + 1;
        channelSeq.set(channelId, seq);
        // Same fields as Parley's Event so frames are the same size.
        const event = {
          id: crypto.randomUUID(),
          channelId,
          seq,
          clientId: frame.clientId,
          senderId,
          senderDeviceId: senderId,
          kind: frame.kind ?? "message",
          epoch: 0,
          content: frame.content ?? "",
          threadRoot: null,
          target: null,
          mentions: [],
          createdAt: Date.now(),
        };
        ws.send(JSON.stringify({ t: "ack", ref: frame.ref, event, duplicate: false }));
        // Serialise and encode once, write to every socket: the idiomatic ws broadcast.
        const out = Buffer.from(JSON.stringify({ t: "event", event }));
        for (const c of clients) c.send(out, { binary: false });
      } else if (frame.t === "ping") {
        ws.send(JSON.stringify({ t: "pong", ref: frame.ref, serverTime: Date.now() }));
      }
    });
    ws.on("close", () => {
      clients.delete(ws);
    });
    ws.on("error", () => {
      clients.delete(ws);
    });
  });

  await new Promise<void>((resolve) => server.listen(opts.port, opts.host, resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  return {
    url: `http://${opts.host}:${port}`,
    connectionCount: () => clients.size,
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
