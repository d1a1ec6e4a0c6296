/**
 * The flows that remove and then add, through real SDK clients and a real server:
 * revoke a stolen device then add someone, kick then invite, leave then join. A
 * witness device (the crypto API on its own, a member of the channel) records every
 * commit with the GroupInfos around it, and plays each removed device ignoring its
 * removal: its old keys must open no UpdatePath of any later commit. No commit may mix
 * adds with removals, and everyone still in the channel reads on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { exportGroupState, groupInfoOf, inspectMlsMessage, processMessage, type Group } from "@parley/crypto";
import type { Event } from "@parley/protocol";
import { asTestUser, loginUser } from "@parley/server/testing/factories";
import { bytes, joinFromStream, mlsClient, type MlsClient } from "@parley/server/testing/mls-clients";
import { heldPrivateKeys, openUpdatePath } from "../../../crypto/src/testing/update-path.ts";
import type { ParleyClient } from "../client.ts";
import { collect, PASSWORD, startOrg, texts, until } from "../testing/e2ee-clients.ts";
import { decodeChannelRecord } from "./persist.ts";

interface RecordedCommit {
  event: Event;
  before: Uint8Array;
  after: Uint8Array;
  witnessKeys: Uint8Array;
}

/** Process the channel's timeline on the witness, recording each commit with the GroupInfos before and after it. */
async function record(w: MlsClient, group: Group, channelId: string, after: number): Promise<RecordedCommit[]> {
  const out: RecordedCommit[] = [];
  const r = await w.user.api("GET", `/channels/${channelId}/events?after=${after}&limit=200`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const event of r.body.events as Event[]) {
    if (event.kind !== "commit" && event.kind !== "proposal") continue;
    const before = await groupInfoOf(group);
    const witnessKeys = exportGroupState(group);
    await processMessage(group, bytes(event.content));
    if (event.kind === "commit") out.push({ event, before, after: await groupInfoOf(group), witnessKeys });
  }
  return out;
}

const stateOf = async (c: ParleyClient, channelId: string) => {
  const s = await c.e2ee!.identity.keyStore.get(`sdk/group/${channelId}`);
  const state = s && decodeChannelRecord(s)?.state;
  assert.ok(state, "the device saved its group state");
  return state;
};

test(
  "revoke then add, kick then invite, leave then join: removed devices open no later UpdatePath; no commit mixes adds with removals",
  { timeout: 120_000 },
  async (t) => {
    const { server, org } = await startOrg(t);
    const alice = org.owner;
    const bob = await org.user("bob");
    const stolen = await org.device("bob");
    const carol = await org.user("carol");
    const dave = await org.user("dave");
    const erin = await org.user("erin");
    const wit = await org.user("wit");
    const all = [alice, bob, stolen, carol, dave, erin, wit];
    for (const c of all) c.connect();
    await Promise.all(all.map((c) => c.waitUntilLive()));
    const witness = await mlsClient(asTestUser(server, await loginUser(server, "acme", "wit", PASSWORD), PASSWORD));

    const ch = await alice.createChannel({ kind: "public", name: "ops", members: [bob.userId, wit.userId] });
    const inGroup = (...cs: ParleyClient[]) =>
      until(() => cs.every((c) => c.e2ee!.epochOf(ch.id) === alice.e2ee!.epochOf(ch.id)), "devices reach the channel's epoch");
    await until(() => alice.e2ee!.members(ch.id)?.some((m) => m.deviceId === witness.user.tokens.deviceId) ?? false, "the witness device is added");
    const wg = await joinFromStream(witness, ch.id);
    const startSeq = (await alice.api.call("listEvents", { params: { channelId: ch.id }, query: { after: 0 } })).events.at(-1)!.seq;
    await inGroup(bob, stolen);

    // 1. The laptop is stolen: revoked, and right away someone is added.
    const stolenState = await stateOf(stolen, ch.id);
    await alice.api.call("adminRevokeDevice", { params: { id: bob.userId, deviceId: stolen.session!.deviceId } });
    await alice.addMembers(ch.id, [carol.userId]);
    await inGroup(bob, carol);
    // 2. carol is kicked, dave invited straight after.
    const kickedState = await stateOf(carol, ch.id);
    const seenCarol = collect(carol, ch.id);
    await alice.removeMember(ch.id, carol.userId);
    await alice.addMembers(ch.id, [dave.userId]);
    await inGroup(bob, dave);
    // 3. dave leaves; erin joins the public channel (external commit) straight after.
    const leftState = await stateOf(dave, ch.id);
    const seenDave = collect(dave, ch.id);
    await dave.api.call("leaveChannel", { params: { channelId: ch.id } });
    await erin.joinChannel(ch.id);
    await inGroup(bob, erin);

    const seen = [bob, erin].map((c) => collect(c, ch.id));
    await alice.sendMessage(ch.id, "after all that");
    await until(() => seen.every((s) => texts(s).includes("after all that")), "bob and erin read on");
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!texts(seenCarol).includes("after all that") && !texts(seenDave).includes("after all that"));

    const commits = await record(witness, wg, ch.id, startSeq);
    assert.ok(commits.length >= 6, `removals, adds and the join were committed (${commits.length} commits)`);
    let witnessOpened = 0;
    for (const c of commits) {
      const info = await inspectMlsMessage(bytes(c.event.content));
      assert.ok(
        info.adds.length === 0 || (info.removes.length === 0 && info.proposalRefs.length === 0),
        `commit at seq ${c.event.seq} mixes adds with removals`,
      );
      for (const [who, state] of [
        ["the stolen laptop", stolenState],
        ["carol (kicked)", kickedState],
        ["dave (left)", leftState],
      ] as const) {
        assert.equal(
          await openUpdatePath(heldPrivateKeys(state), bytes(c.event.content), c.before, c.after),
          0,
          `${who} opens the commit at seq ${c.event.seq}`,
        );
      }
      witnessOpened += await openUpdatePath(heldPrivateKeys(c.witnessKeys), bytes(c.event.content), c.before, c.after);
    }
    assert.ok(witnessOpened > 0, "control: the witness's own keys open the paths sealed to it");
  },
);
