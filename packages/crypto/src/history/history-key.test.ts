import { test } from "node:test";
import assert from "node:assert/strict";
import { confirmPending, epoch, historyKey, processMessage, removeMembers, selfUpdate } from "../index.ts";
import { isE2eeError } from "../public.ts";
import { equalBytes } from "../bytes.ts";
import { threeMemberChannel } from "../test-devices.ts";

for (const suite of ["default", "xwing"] as const) {
  test(`history keys (${suite}): shared by members, per channel, generation and epoch; none for a removed member`, async () => {
    const { ga, gb, gc } = await threeMemberChannel(suite);
    const k1 = await historyKey(ga, "chan1", 0);
    assert.equal(k1.length, 32);
    assert.ok(equalBytes(k1, await historyKey(gb, "chan1", 0)), "two members derive the same key");
    assert.ok(equalBytes(k1, await historyKey(gc, "chan1", 0)));
    assert.ok(!equalBytes(k1, await historyKey(ga, "chan2", 0)), "another channel id");
    assert.ok(!equalBytes(k1, await historyKey(ga, "chan1", 1)), "another generation");
    // Length prefixing keeps ("chan1", gen) apart from a channel id that ends with those bytes.
    assert.ok(!equalBytes(await historyKey(ga, "c", 0), await historyKey(ga, "c\u0000", 0)));

    const up = await selfUpdate(gb);
    confirmPending(gb);
    await processMessage(ga, up.commit);
    await processMessage(gc, up.commit);
    const k2 = await historyKey(ga, "chan1", 0);
    assert.ok(!equalBytes(k1, k2), "the next epoch's key differs");
    assert.ok(equalBytes(k2, await historyKey(gc, "chan1", 0)));

    // Carol is removed: her last state is of the epoch before, and it cannot give the new key.
    const rm = await removeMembers(ga, [{ deviceId: "c1" }]);
    confirmPending(ga);
    await processMessage(gb, rm.commit);
    const k3 = await historyKey(ga, "chan1", 0);
    assert.ok(equalBytes(k3, await historyKey(gb, "chan1", 0)));
    const carolBefore = await historyKey(gc, "chan1", 0);
    assert.ok(equalBytes(carolBefore, k2), "before processing her removal carol holds only the old epoch");
    const r = await processMessage(gc, rm.commit);
    assert.ok(r.kind === "commit" && r.removedSelf);
    assert.equal(epoch(ga), epoch(gb));
    await assert.rejects(historyKey(gc, "chan1", 0), (e: unknown) => isE2eeError(e, "invalid_state"));
  });
}

test("history key arguments: a generation must be a u32", async () => {
  const { ga } = await threeMemberChannel();
  await assert.rejects(historyKey(ga, "chan1", -1), (e: unknown) => isE2eeError(e, "bad_input"));
  await assert.rejects(historyKey(ga, "chan1", 2 ** 32), (e: unknown) => isE2eeError(e, "bad_input"));
});
