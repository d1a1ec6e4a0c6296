/**
 * Replay from cursors queries only the channels with something new: a reconnect of a
 * member of 300 channels with one new event replays exactly that one channel and runs a
 * bounded number of queries, whatever the channel count (issue 12).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Event, ServerFrame } from "@parley/protocol";
import { DIALECTS, startTestServer } from "../testing/harness.ts";
import { bootstrapOrg } from "../testing/factories.ts";
import { connectUser, postText } from "./test-client.ts";

const CHANNELS = 300;

function syncSeqs(frames: ServerFrame[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const f of frames) if (f.t === "sync") out.set(f.channelId, [...(out.get(f.channelId) ?? []), ...f.events.map((e: Event) => e.seq)]);
  return out;
}

/** The last "replay finished" log line's counters. */
function lastReplay(logs: string[]): { pages: number; queried: number } {
  const line = logs
    .map((l) => JSON.parse(l) as { msg: string; pages: number; queried: number })
    .filter((l) => l.msg === "replay finished")
    .at(-1);
  assert.ok(line, "a replay log line");
  return line;
}

for (const dialect of DIALECTS) {
  test(`replay (${dialect}): ${CHANNELS} channels, one with a new event -> one channel queried, bounded queries`, async (t) => {
    const server = await startTestServer({ dialect });
    t.after(() => server.stop());
    const owner = await bootstrapOrg(server);
    const ids: string[] = [];
    for (let i = 0; i < CHANNELS; i++) {
      const r = await owner.api("POST", "/channels", { kind: "public", name: `c${i}`, members: [] });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ids.push(r.body.id as string);
    }
    const [busy, quiet, ahead] = ids;
    await postText(owner, busy!, "one");
    await postText(owner, quiet!, "two");

    // First connect without cursors: every channel with events is replayed.
    const s1 = await connectUser(server.url, owner.accessToken);
    const first = syncSeqs(s1.frames);
    assert.deepEqual([...first.keys()].sort(), [busy, quiet].sort());
    assert.equal(lastReplay(server.logs).queried, 2, "channels with no event are not queried");
    const userSeq = s1
      .of("sync.user")
      .flatMap((f) => f.items)
      .at(-1)!.seq;
    await s1.close();

    const seqNew = await postText(owner, busy!, "new");
    await postText(owner, ahead!, "x");
    // Cursors for every channel: last seen seqs (0 for the empty ones), one ahead of the server's.
    const cursors = Object.fromEntries(ids.map((id) => [id, 0]));
    Object.assign(cursors, { [busy!]: 1, [quiet!]: 1, [ahead!]: 5 });

    // Count the statements the server runs on its database during the reconnect.
    const executor = server.deps.db.getExecutor();
    const original = executor.executeQuery.bind(executor);
    let queries = 0;
    executor.executeQuery = ((...args: Parameters<typeof original>) => {
      queries++;
      return original(...args);
    }) as typeof executor.executeQuery;
    let s2;
    try {
      s2 = await connectUser(server.url, owner.accessToken, { user: userSeq, channels: cursors });
    } finally {
      executor.executeQuery = original;
    }
    const second = syncSeqs(s2.frames);
    assert.deepEqual([...second.entries()], [[busy, [seqNew]]], "exactly the new event, nothing else");
    const stats = lastReplay(server.logs);
    assert.equal(stats.queried, 1, JSON.stringify(stats));
    // Token/session checks, the channel list with heads, the user stream, one channel page:
    // a handful, not one per channel.
    assert.ok(queries > 0 && queries <= 20, `queries during the reconnect: ${queries}`);
    await s2.close();

    // Nothing new at all: no channel is queried.
    const s3 = await connectUser(server.url, owner.accessToken, { user: userSeq, channels: { ...cursors, [busy!]: seqNew, [ahead!]: 5 } });
    assert.equal(syncSeqs(s3.frames).size, 0);
    assert.equal(lastReplay(server.logs).queried, 0);
    await s3.close();
  });
}
