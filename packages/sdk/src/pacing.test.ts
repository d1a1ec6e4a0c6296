/**
 * A burst of sends is paced to the connection's frame allowance (ready.framesPerSecond)
 * and capped in flight: it never trips the server's flood limit (close 4429), and leaves in the
 * order it was made — which MLS needs: a burst of encrypted sends overtaking one another on the
 * way left other devices "Unable to decrypt" the overtaken ones (their generations came too late).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, TEST_PASSWORD } from "@parley/server/testing/factories";
import { ParleyClient } from "./client.ts";
import { PlainCodec } from "./codec.ts";
import { collect, startLivePair, until } from "./testing/e2ee-clients.ts";

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
    assert.deepEqual(
      results.map((r) => r.event.seq),
      Array.from({ length: 150 }, (_, i) => i + 1),
      "the server took them in the order they were made",
    );
    await client.close();
  } finally {
    await server.stop();
  }
});

test("a burst of 150 encrypted sends from one device: the other devices decrypt every one", { timeout: 60_000 }, async (t) => {
  const { alice, bob } = await startLivePair(t);
  const ch = await alice.createChannel({ kind: "private", name: "burst", members: [bob.userId] });
  await until(() => bob.e2ee!.members(ch.id) !== undefined, "bob is in the group");
  const seen = collect(bob, ch.id);
  const results = await Promise.all(Array.from({ length: 150 }, (_, i) => alice.sendMessage(ch.id, `m${i}`)));
  const seqs = results.map((r) => r.event.seq);
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
    "sequenced in the order they were made (and encrypted)",
  );
  await until(() => seen.filter((e) => e.kind === "message").length >= 150, "bob gets all 150", 30_000);
  const messages = seen.filter((e) => e.kind === "message");
  assert.deepEqual(
    messages.filter((e) => e.content.decodeError).map((e) => `${e.seq}: ${e.content.decodeError}`),
    [],
    "bob decrypts every one",
  );
  assert.deepEqual(
    messages.map((e) => e.text),
    Array.from({ length: 150 }, (_, i) => `m${i}`),
  );
});
