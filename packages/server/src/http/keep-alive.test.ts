/**
 * HTTP keep-alive: idle connections stay open longer than the idle timeout of reverse proxies
 * and HTTP clients (which would otherwise reuse a connection the server is closing and see a
 * reset), and a shutdown does not wait that long for a connection whose response was still
 * being sent when it began.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { once } from "node:events";
import { startTestServer } from "../testing/harness.ts";

test("idle keep-alive connections stay open 72 s, as the response says", async () => {
  const s = await startTestServer({ dialect: "sqlite" });
  try {
    const res = await fetch(`${s.url}/healthz`);
    await res.arrayBuffer();
    assert.equal(res.headers.get("keep-alive"), "timeout=72");
  } finally {
    await s.stop();
  }
});

test("a shutdown that begins while a response is still being sent ends once it is sent, not after the keep-alive timeout", async () => {
  const s = await startTestServer({ dialect: "sqlite" });
  const url = new URL(s.url);
  const socket = net.connect(Number(url.port), url.hostname);
  await once(socket, "connect");
  const closed = once(socket, "close");
  // A large file read slowly: its response is still being written when the shutdown begins.
  socket.write(`GET /api/docs/static/swagger-ui-bundle.js HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
  const [first] = (await once(socket, "data")) as [Buffer];
  socket.pause();
  let bytes = first.length;
  socket.on("data", (d: Buffer) => (bytes += d.length));
  const started = Date.now();
  const stopping = s.stop();
  await new Promise((r) => setTimeout(r, 300));
  socket.resume();
  await stopping;
  await closed;
  const took = Date.now() - started;
  assert.match(first.toString("latin1"), /^HTTP\/1\.1 200 /);
  const length = Number(/content-length: (\d+)/i.exec(first.toString("latin1"))?.[1]);
  assert.ok(length > 1_000_000 && bytes > length, `the whole file arrived: ${bytes} bytes for ${length}`);
  assert.ok(took < 10_000, `the shutdown took ${took} ms`);
});
