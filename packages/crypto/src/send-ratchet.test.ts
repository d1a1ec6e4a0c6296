import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addMembers,
  confirmPending,
  createGroup,
  encrypt,
  exportGroupState,
  importGroupState,
  joinFromWelcome,
  processMessage,
  sendGeneration,
  skipSendGenerations,
} from "./index.ts";
import { isE2eeError } from "./public.ts";
import { device, makeDirectory, ORG } from "./test-devices.ts";
import { utf8 } from "./bytes.ts";

async function pair() {
  const dir = makeDirectory();
  const a = await device("alice", "a1");
  const b = await device("bob", "b1");
  for (const d of [a, b]) dir.register(d.identity);
  const policy = { authorizeLeaf: dir.authorizeLeaf };
  const ga = await createGroup(a.identity, "chan1", { externalSenders: [{ signaturePublicKey: dir.server.publicKey, orgId: ORG }], ...policy });
  const bundle = await addMembers(ga, [b.keyPackage]);
  confirmPending(ga);
  const gb = await joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: bundle.groupInfo });
  return { a, ga, gb, policy };
}

test("sendGeneration counts own messages in the epoch; a state restored from before them would reuse a generation, which the receiver refuses", async () => {
  const { a, ga, gb, policy } = await pair();
  assert.equal(sendGeneration(ga), 0);
  const saved = exportGroupState(ga);
  for (let i = 0; i < 3; i++) await processMessage(gb, await encrypt(ga, utf8(`m${i}`)));
  assert.equal(sendGeneration(ga), 3);
  // A crash that lost the sends: the restored state would encrypt under generation 0 again.
  const stale = await importGroupState(a.identity, saved, policy);
  assert.equal(sendGeneration(stale), 0);
  await assert.rejects(processMessage(gb, await encrypt(stale, utf8("again"))), (e: unknown) => isE2eeError(e, "replay"));
});

test("skipSendGenerations moves past used generations; the receiver reads the next message across the gap", async () => {
  const { a, ga, gb, policy } = await pair();
  const saved = exportGroupState(ga);
  for (let i = 0; i < 3; i++) await processMessage(gb, await encrypt(ga, utf8(`m${i}`)));
  const restored = await importGroupState(a.identity, saved, policy);
  assert.equal(await skipSendGenerations(restored, 40), 40);
  assert.equal(sendGeneration(restored), 40);
  assert.equal(await skipSendGenerations(restored, 10), 0, "never moves backwards");
  const r = await processMessage(gb, await encrypt(restored, utf8("after the restart")));
  assert.ok(r.kind === "application" && new TextDecoder().decode(r.plaintext) === "after the restart");
});
