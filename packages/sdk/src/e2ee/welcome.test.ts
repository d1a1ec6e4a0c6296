/**
 * Joining from a Welcome that carries no ratchet tree (issue 7), through real SDK clients
 * and a real server: the device fetches its Welcome late — after a failed attempt and
 * after several more commits moved the channel on — joins at the Welcome's epoch with the
 * tree of that epoch, catches up the later commits and reads every message sent since it
 * was added (an external join instead would have missed the ones in between).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer } from "@parley/server/testing/harness";
import type { HistoryUnavailableNotice } from "./engine.ts";
import { collect, makeOrg, texts, until } from "../testing/e2ee-clients.ts";

test("a device added while several commits follow joins from its Welcome and reads everything since", { timeout: 60_000 }, async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const org = await makeOrg(server.url);
  t.after(() => org.closeAll());
  // Carol's Welcome download fails once (a transient 503), then waits until the channel moved on.
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const welcomeFetches: number[] = [];
  const gated: typeof fetch = async (input, init) => {
    if (String(input instanceof Request ? input.url : input).includes("/welcomes/")) {
      welcomeFetches.push(Date.now());
      if (welcomeFetches.length === 1) {
        return new Response(JSON.stringify({ code: "unavailable", message: "try again" }), { status: 503, headers: { "content-type": "application/json" } });
      }
      await released;
    }
    return fetch(input, init);
  };
  const alice = org.owner;
  const bob = await org.user("bob");
  const carol = await org.user("carol", { fetch: gated });
  for (const c of [alice, bob, carol]) c.connect();
  await Promise.all([alice, bob, carol].map((c) => c.waitUntilLive()));
  const ch = await alice.createChannel({ kind: "private", name: "late-welcome", members: [bob.userId] });
  await until(() => bob.e2ee!.epochOf(ch.id) === alice.e2ee!.epochOf(ch.id), "bob is in the group");
  const seen = collect(carol, ch.id);
  const gaps: HistoryUnavailableNotice[] = [];
  carol.on("historyUnavailable", (n) => gaps.push(n));
  const undecryptable: unknown[] = [];
  carol.on("undecryptable", (n) => undecryptable.push(n));

  await alice.addMembers(ch.id, [carol.userId]);
  const addedAt = alice.e2ee!.epochOf(ch.id)!;
  await alice.sendMessage(ch.id, "e1");
  // Three more commits (key rotations by both members), a message in each epoch.
  for (const [i, c] of [alice, bob, alice].entries()) {
    await until(() => c.e2ee!.epochOf(ch.id) === alice.e2ee!.epochOf(ch.id) && bob.e2ee!.epochOf(ch.id) === alice.e2ee!.epochOf(ch.id), "members agree");
    await c.e2ee!.selfUpdate(ch.id);
    await c.sendMessage(ch.id, `e${i + 2}`);
  }
  assert.equal(alice.e2ee!.epochOf(ch.id), addedAt + 3, "the channel moved three epochs past carol's Welcome");
  await until(() => welcomeFetches.length >= 2, "carol retried the failed Welcome download");
  release();

  await until(() => seen.length >= 4, "carol reads the messages sent since she was added", 20_000);
  assert.deepEqual(texts(seen), ["e1", "e2", "e3", "e4"]);
  assert.deepEqual(undecryptable, []);
  await until(() => carol.e2ee!.epochOf(ch.id) === alice.e2ee!.epochOf(ch.id), "carol reaches the current epoch");
  // She joined at the Welcome's epoch, so nothing after her add is reported missing.
  const firstAfterAdd = Math.min(...seen.map((e) => e.seq));
  assert.ok(
    gaps.every((g) => g.beforeSeq <= firstAfterAdd),
    JSON.stringify(gaps),
  );
  await bob.sendMessage(ch.id, "still here");
  await until(() => texts(seen).includes("still here"), "carol reads on");
});
