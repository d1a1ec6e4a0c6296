/**
 * A burst of sends is paced to the connection's frame allowance (ready.framesPerSecond)
 * and capped in flight: it never trips the server's flood limit (close 4429).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, TEST_PASSWORD } from "@parley/server/testing/factories";
import { ParleyClient } from "./client.ts";
import { PlainCodec } from "./codec.ts";

test("a burst of 150 sends at 20 frames/s: all acked over the socket, never closed for flooding", { timeout: 60_000 }, async () => {
  const server = await startTestServer({ config: { wsFramesPerSecond: 20 } });
  try {
    const owner = await bootstrapOrg(server);
    const ch = (await owner.api("POST", "/channels", { kind: "public", name: "burst" })).body.id as string;
    const client = await ParleyClient.login({
      baseUrl: server.url,
      org: owner.org.slug,
      username: owner.user.username,
      password: TEST_PASSWORD,
      codec: new PlainCodec(),
    });
    const closes: number[] = [];
    client.on("connection", (c) => {
      if (c.closeCode !== undefined) closes.push(c.closeCode);
    });
    client.on("error", () => {});
    client.connect();
    await client.waitUntilLive();
    const results = await Promise.all(Array.from({ length: 150 }, (_, i) => client.sendMessage(ch, `m${i}`)));
    assert.equal(results.length, 150);
    assert.equal(results.filter((r) => r.duplicate).length, 0, "no send needed a retry");
    assert.deepEqual(closes, [], "the socket was never closed");
    const seqs = results.map((r) => r.event.seq).sort((a, b) => a - b);
    assert.deepEqual(
      seqs,
      Array.from({ length: 150 }, (_, i) => i + 1),
    );
    await client.close();
  } finally {
    await server.stop();
  }
});
