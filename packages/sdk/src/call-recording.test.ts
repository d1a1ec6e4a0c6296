/**
 * `client.calls.record` against a real server on both dialects: refused with a typed error while
 * the org does not allow recording and outside the call; once an admin allows it
 * (`setCallPolicy`), the other participant's client hears `state` naming the recorder, and again
 * when it stops; both are audited.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS } from "@parley/server/testing/harness";
import { startOrg } from "./testing/e2ee-clients.ts";
import { isParleyError, type CallStateNotice, type ParleyClient } from "./index.ts";

function nextState(client: ParleyClient, pred: (s: CallStateNotice) => boolean): Promise<CallStateNotice> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no state within 10 s")), 10_000);
    const off = client.calls.on("state", (s) => {
      if (!pred(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

for (const dialect of DIALECTS) {
  test(`calls.record (${dialect}): refused unless the org allows it and the device is in the call; state names the recorder; audited`, async (t) => {
    const { server, org } = await startOrg(t, {}, { dialect });
    const alice = org.owner;
    const bob = await org.user("bob");
    const carol = await org.user("carol");
    const dm = (await alice.api.call("openDm", { body: { userIds: [bob.userId] } })).id;
    for (const c of [alice, bob, carol]) c.connect();
    await Promise.all([alice, bob, carol].map((c) => c.waitUntilLive()));

    assert.deepEqual(await bob.api.call("getCallPolicy"), { recordingAllowed: false });
    const call = await alice.calls.start(dm);
    await bob.calls.accept(call.id);
    await assert.rejects(alice.calls.record(call.id, true), (err: unknown) => isParleyError(err, "call_recording_not_allowed"));
    await assert.rejects(bob.api.call("setCallPolicy", { body: { recordingAllowed: true } }), (err: unknown) => isParleyError(err, "forbidden"));

    assert.deepEqual(await alice.api.call("setCallPolicy", { body: { recordingAllowed: true } }), { recordingAllowed: true });
    // Carol is not in the DM: its call is not hers to record.
    await assert.rejects(carol.calls.record(call.id, true), (err: unknown) => isParleyError(err, "not_found"));

    const told = nextState(bob, (s) => s.change.kind === "recording");
    const recording = await alice.calls.record(call.id, true);
    assert.equal(recording.participants.find((p) => p.userId === alice.userId)?.recording, true);
    const seen = await told;
    assert.equal(seen.change.userId, alice.userId);
    assert.deepEqual(
      seen.call.participants.filter((p) => p.recording).map((p) => p.userId),
      [alice.userId],
    );

    const stopped = nextState(bob, (s) => s.change.kind === "recording");
    await alice.calls.record(call.id, false);
    assert.equal(
      (await stopped).call.participants.some((p) => p.recording),
      false,
    );
    await bob.calls.leave(call.id);

    const rows = await server.deps.db
      .selectFrom("audit_log")
      .select(["action", "target_id"])
      .where("action", "like", "%call%")
      .where("action", "!=", "call.ended")
      .orderBy("seq")
      .execute();
    assert.deepEqual(
      rows.map((r) => r.action),
      ["org.call_policy.changed", "call.recording.started", "call.recording.stopped"],
    );
    assert.equal(rows[1]!.target_id, call.id);
  });
}
