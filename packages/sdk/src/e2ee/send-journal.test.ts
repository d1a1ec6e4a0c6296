/**
 * The send journal on real groups (crypto API, in memory): a device restarted from a
 * group state older than its sends never encrypts under a generation it used — also
 * when the state on disk predates a commit it applied since (its save failed) — and
 * the receiver, whose MLS refuses a used generation as a replay, reads every message.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addMembers,
  confirmPending,
  createDeviceIdentity,
  createGroup,
  encrypt,
  epoch,
  exportGroupState,
  generateKeyPackages,
  importGroupState,
  joinFromWelcome,
  MemoryKeyStore,
  processMessage,
  selfUpdate,
  sendGeneration,
  type Group,
  type KeyStore,
} from "@parley/crypto";
import { SendJournal } from "./send-journal.ts";

async function pair() {
  const alice = await createDeviceIdentity({ orgId: "org1", userId: "alice", deviceId: "a1", suite: "default" });
  const bob = await createDeviceIdentity({ orgId: "org1", userId: "bob", deviceId: "b1", suite: "default" });
  const ga = await createGroup(alice, "ch1");
  const [kp] = await generateKeyPackages(bob, 1);
  const bundle = await addMembers(ga, [kp!.keyPackage]);
  confirmPending(ga);
  return { alice, ga, gb: await joinFromWelcome(bob, bundle.welcome!, {}, { groupInfo: bundle.groupInfo }) };
}

/** Count the key store's writes. */
function counting(ks: KeyStore): KeyStore & { puts: number } {
  const c = {
    puts: 0,
    get: (k: string) => ks.get(k),
    delete: (k: string) => ks.delete(k),
    list: (p: string) => ks.list(p),
    put: (k: string, v: Uint8Array) => {
      c.puts++;
      return ks.put(k, v);
    },
  };
  return c;
}

async function send(journal: SendJournal, ks: KeyStore, from: Group, to: Group, text: string): Promise<void> {
  await journal.beforeSend(from, ks);
  const r = await processMessage(to, await encrypt(from, new TextEncoder().encode(text)));
  assert.equal(r.kind, "application", `${text}: bob reads it`);
}

test("reservations are written ahead, a few per many sends; after a restart the first send skips past them", async () => {
  const { alice, ga, gb } = await pair();
  const ks = counting(new MemoryKeyStore());
  const saved = exportGroupState(ga);
  const journal = new SendJournal("ch1");
  for (let i = 0; i < 100; i++) await send(journal, ks, ga, gb, `m${i}`);
  assert.ok(ks.puts <= 6, `${ks.puts} journal writes for 100 sends (8, 16, 32, 64 ahead)`);

  const restored = await importGroupState(alice, saved);
  const again = new SendJournal("ch1");
  const skipped = await again.beforeSend(restored, ks);
  assert.ok(skipped >= 100 && sendGeneration(restored) >= 100, `skipped ${skipped} generations`);
  const r = await processMessage(gb, await encrypt(restored, new TextEncoder().encode("after the restart")));
  assert.equal(r.kind, "application");
});

test("a state on disk older than a commit the device applied since: the reservation of the later epoch survives the restart", async () => {
  const { alice, ga, gb } = await pair();
  const ks = new MemoryKeyStore();
  const journal = new SendJournal("ch1");
  const savedAt1 = exportGroupState(ga);
  journal.saved(Number(epoch(ga)));
  for (let i = 0; i < 3; i++) await send(journal, ks, ga, gb, `epoch 1 #${i}`);
  // bob's self-update moves both to epoch 2; alice's save of that state fails (not saved).
  const commit = await selfUpdate(gb);
  confirmPending(gb);
  await processMessage(ga, commit!.commit);
  for (let i = 0; i < 3; i++) await send(journal, ks, ga, gb, `epoch 2 #${i}`);

  // Restart from the state of epoch 1: a send there first (the timeline has not caught up yet)...
  const restored = await importGroupState(alice, savedAt1);
  const again = new SendJournal("ch1");
  again.saved(Number(epoch(restored)));
  assert.ok((await again.beforeSend(restored, ks)) >= 3, "the epoch-1 generations are skipped");
  await encrypt(restored, new TextEncoder().encode("at epoch 1 after the restart")); // bob moved on; never sent here
  // ...then the timeline applies the commit again, and the epoch-2 generations are skipped too.
  await processMessage(restored, commit!.commit);
  assert.equal(epoch(restored), epoch(gb));
  await send(again, ks, restored, gb, "at epoch 2 after the restart");
});
