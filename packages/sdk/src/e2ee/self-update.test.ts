/**
 * Post-compromise security on schedule, through real clients and a real server with a
 * fake clock: nothing rotates before it is due; a week (plus jitter) later every device
 * rotates its leaf keys; so it does after N messages sent or received; members read on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { groupInfoMembers } from "@parley/crypto";
import { startTestServer } from "@parley/server/testing/harness";
import type { ParleyClient } from "../client.ts";
import { collect, FAST, makeOrg, texts, until } from "../testing/e2ee-clients.ts";

const DAY = 24 * 3600 * 1000;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("devices rotate their leaf keys after the interval (fake clock) and after N messages, not before", { timeout: 90_000 }, async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  let now = Date.now();
  const e2ee = { ...FAST.e2ee, now: () => now, selfUpdate: { intervalMs: 7 * DAY, messages: 10, checkEveryMs: 25 } };
  const org = await makeOrg(server.url, { e2ee });
  t.after(() => org.closeAll());
  const alice = org.owner;
  const bob = await org.user("bob", { e2ee });
  for (const c of [alice, bob]) c.connect();
  await Promise.all([alice.waitUntilLive(), bob.waitUntilLive()]);
  const ch = await alice.createChannel({ kind: "private", name: "pcs", members: [bob.userId] });
  await until(() => bob.e2ee!.epochOf(ch.id) === alice.e2ee!.epochOf(ch.id), "bob joins the group");

  const leafKeys = async () => {
    const r = await alice.api.call("getGroupInfo", { params: { channelId: ch.id } });
    const leaves = groupInfoMembers(Buffer.from(r.groupInfo!, "base64"));
    return Object.fromEntries(
      [alice, bob].map((c) => [c.userId, hex(leaves.find((l) => l.identity.kind === "device" && l.identity.deviceId === c.session!.deviceId)!.encryptionKey)]),
    );
  };
  const quiet = async (what: string) => {
    const before = await leafKeys();
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(await leafKeys(), before, what);
    return before;
  };
  const rotated = async (before: Record<string, string>, what: string) => {
    const end = Date.now() + 20_000;
    for (;;) {
      const k = await leafKeys();
      if (k[alice.userId] !== before[alice.userId] && k[bob.userId] !== before[bob.userId]) return;
      if (Date.now() > end) assert.fail(`${what}: leaf keys did not both change`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const talk = async (from: ParleyClient, to: ParleyClient, n: number, tag: string) => {
    const seen = collect(to, ch.id);
    for (let i = 0; i < n; i++) await from.sendMessage(ch.id, `${tag} ${i}`);
    await until(() => seen.filter((e) => e.text?.startsWith(tag)).length === n, `${to.userId} reads ${tag}`);
    return seen;
  };

  const k0 = await quiet("nothing rotates before it is due");
  now += 6 * DAY;
  const k1 = await quiet("six days: not due yet");
  assert.deepEqual(k1, k0);
  now += 3 * DAY; // nine days: past a week plus the largest jitter (+25 %)
  await rotated(k1, "after the interval");
  await talk(alice, bob, 2, "after rotation");

  const k2 = await quiet("a few messages: not due");
  await talk(alice, bob, 11, "burst"); // 13 messages since the rotation: past 10 plus jitter for both (sent and received)
  await rotated(k2, "after N messages");
  const last = await talk(bob, alice, 1, "still talking");
  assert.deepEqual(texts(last), ["still talking 0"]);
});
