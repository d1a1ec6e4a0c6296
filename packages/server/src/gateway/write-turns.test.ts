/**
 * Write turns (registry.ts `beforeWrite`): frames written to one socket in one
 * turn after the first are corked and reach the kernel together when the turn
 * ends; a single frame per turn is written at once; corked bytes do not count
 * as a slow reader's backlog. Real `ws` sockets on 127.0.0.1.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { backlog, newConn, type Conn } from "./connection.ts";
import { fanout, newWriteTurns, textFrame, type FanoutTarget } from "./registry.ts";

async function pair(): Promise<{ conn: Conn; client: WebSocket; received: string[]; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  const accepted = new Promise<WebSocket>((r) => wss.once("connection", (ws) => r(ws)));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on("message", (d) => received.push(String(d)));
  await new Promise<void>((r, j) => client.once("open", () => r()).once("error", j));
  const ws = await accepted;
  const socket = (ws as unknown as { _socket: import("node:net").Socket })._socket;
  const conn = newConn("c1", ws, socket, 10, Date.now());
  return {
    conn,
    client,
    received,
    async close() {
      client.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

const target = (): FanoutTarget & { slow: number } => {
  const t = { ...newWriteTurns(), maxBuffered: 1024, slow: 0, onSlow: () => void t.slow++, onPendingOverflow: () => void t.slow++ };
  return t;
};
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

test("one frame in a turn is written at once; from the second on the socket is corked until the turn ends, order kept", async (t) => {
  const p = await pair();
  t.after(() => p.close());
  const fan = target();
  const set = new Set([p.conn]);
  fanout(fan, set, textFrame("f0"), 1, null, 0, null);
  assert.equal(p.conn.socket.writableCorked, 0, "a single frame is not corked");
  await nextTurn();
  // 200 frames of 100 bytes in one turn: far over the 1 KiB cap if corked bytes counted as backlog.
  const body = "x".repeat(96);
  for (let i = 1; i <= 200; i++) fanout(fan, set, textFrame(`${String(i).padStart(3, "0")}${body}`), 1, null, i, null);
  assert.equal(p.conn.socket.writableCorked, 1, "the second frame of the turn corked the socket");
  assert.ok(p.conn.corkedBytes > 199 * 100, `corked ${p.conn.corkedBytes} bytes`);
  assert.ok(backlog(p.conn) <= 102, `backlog ${backlog(p.conn)}: corked bytes are not a slow reader's`);
  assert.equal(fan.slow, 0, "nobody was cut as a slow consumer");
  await nextTurn();
  assert.equal(p.conn.socket.writableCorked, 0, "uncorked when the turn ended");
  assert.equal(p.conn.corkedBytes, 0);
  const deadline = Date.now() + 5_000;
  while (p.received.length < 201 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(p.received.length, 201);
  assert.deepEqual(
    p.received.map((m) => m.slice(0, 3)),
    ["f0", ...Array.from({ length: 200 }, (_, i) => String(i + 1).padStart(3, "0"))],
  );
});

test("a reader that stops reading is still a slow consumer while its socket is corked", async (t) => {
  const p = await pair();
  t.after(() => p.close());
  const fan = target();
  const set = new Set([p.conn]);
  p.client.pause();
  const frame = textFrame("y".repeat(64 * 1024));
  // Fill the kernel's buffers, one frame per turn (nothing corked), until the socket holds some back.
  for (let i = 0; i < 2_000 && backlog(p.conn) === 0; i++) {
    fanout(fan, set, frame, 1, null, i, null);
    await nextTurn();
  }
  assert.ok(backlog(p.conn) > 0, "the kernel stopped taking bytes");
  // Now several frames in one turn: the first over the cap is refused and the reader cut.
  for (let i = 0; i < 3 && fan.slow === 0; i++) fanout(fan, set, frame, 1, null, i, null);
  assert.equal(fan.slow, 1);
});
