/**
 * The realtime connection on its own, against a TCP server on 127.0.0.1 that accepts and never
 * answers: stopping it leaves nothing running. A connection stopped while it waited for `ready`
 * kept its 15 s hello timer, so a closed client held its Node process (a CLI, a bot, a test file
 * after a rolling restart) open for up to 15 s.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { freePort } from "@parley/server/testing/ports";
import { Connection, type ConnectionState } from "./connection.ts";
import { until } from "./testing/e2ee-clients.ts";

const activeTimers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

test("stop() while waiting for `ready` leaves no timer holding the process open", async () => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  try {
    const timersBefore = activeTimers();
    const states: ConnectionState[] = [];
    const conn = new Connection({
      baseUrl: `http://127.0.0.1:${port}`,
      accessToken: async () => "token",
      onUnauthorized: async () => false,
      cursors: () => ({ user: 0, channels: {} }),
      onFrame: () => undefined,
      onState: (c) => states.push(c.state),
    });
    conn.start();
    await until(() => sockets.size === 1, "the connection reaches the server");
    conn.stop();
    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(states, ["connecting", "closed"]);
    assert.equal(activeTimers(), timersBefore, `timers still running after stop(): ${JSON.stringify(process.getActiveResourcesInfo())}`);
  } finally {
    server.close();
  }
});
