/**
 * The compliance archive from devices (issue 11, ADR 0008), real clients and server: an owner
 * stores a signed policy covering one private channel; the members' devices check it, seal the
 * channel's history keys (those held before and those learned after) to the archive key, and
 * the officer — holding only the archive secret — opens the batches and reads every message
 * from the events' archive copies. A channel outside the scope gets no keys. A server that
 * misreports the archive (its list of archived channels, a policy signed by another key, an
 * older version, a tampered policy) is caught: the device refuses to send there, says why, and
 * the status shows the problem.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { archiveKeyFingerprint, MemoryKeyStore, openArchiveCopy, openLockerBatches, type ArchiveKeys } from "@parley/crypto";
import type { ArchivePolicy } from "@parley/protocol";
import { DIALECTS, type TestDialect } from "@parley/server/testing/harness";
import { newArchiveKeys, signedArchivePolicy } from "@parley/server/testing/archive";
import { ParleyClient } from "../client.ts";
import type { ArchiveStatusNotice } from "./archive-policy.ts";
import { collect, FAST, startOrg, until } from "../testing/e2ee-clients.ts";

const bytes = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
const scopeOf = (channelIds: string[], labels: string[] = []): ArchivePolicy["scope"] => ({ kinds: [], labels, channelIds });

async function poll<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what} (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What the officer reads of a channel with the archive private key alone: the text of each message, or "?" for one it cannot open. */
async function officerReads(officer: ParleyClient, keys: ArchiveKeys, orgId: string, channelId: string): Promise<string[]> {
  const { entries } = await officer.api.call("listArchiveKeys", { params: { channelId } });
  const hks = new Map<string, Uint8Array>();
  for (const e of entries) {
    const opened = await openLockerBatches(keys.archive.privateKey, { orgId, userId: e.userId }, [
      { sealed: bytes(e.sealed), meta: { channelId, generation: e.generation, fromEpoch: BigInt(e.fromEpoch), toEpoch: BigInt(e.toEpoch) } },
    ]);
    for (const k of opened) hks.set(`${k.generation}/${k.epoch}`, k.hk);
  }
  const { events } = await officer.api.call("listArchiveEvents", { params: { channelId }, query: { after: 0, limit: 500 } });
  const out: string[] = [];
  for (const e of events.filter((x) => x.kind === "message")) {
    const hk = hks.get(`${e.generation}/${e.epoch}`);
    const signer = await officer.e2ee!.directory.pastSignatureKey(e.senderId, e.senderDeviceId);
    if (!hk || !e.archive || !signer) {
      out.push("?");
      continue;
    }
    const payload = await openArchiveCopy({
      hk,
      orgId,
      channelId,
      generation: e.generation,
      epoch: BigInt(e.epoch),
      clientId: e.clientId,
      senderDeviceId: e.senderDeviceId,
      bytes: bytes(e.archive),
      senderSignaturePublicKey: signer,
      suite: officer.e2ee!.identity.suite,
    });
    out.push((JSON.parse(new TextDecoder().decode(payload)) as { content: { text: string } }).content.text);
  }
  return out;
}

async function startArchivedOrg(t: { after(fn: () => unknown): void }, dialect: TestDialect, bobFetch?: typeof fetch) {
  const { server, org } = await startOrg(t, {}, { dialect, config: { checkMlsFraming: true } });
  const alice = org.owner;
  const bobKeys = new MemoryKeyStore();
  const bob = await org.user("bob", { e2ee: { ...FAST.e2ee, keyStore: bobKeys }, ...(bobFetch ? { fetch: bobFetch } : {}) });
  for (const c of [alice, bob]) c.connect();
  await Promise.all([alice, bob].map((c) => c.waitUntilLive()));
  const orgId = alice.session!.orgId;
  const trading = await alice.createChannel({ kind: "private", name: "trading", members: [bob.userId] });
  const lunch = await alice.createChannel({ kind: "private", name: "lunch", members: [bob.userId] });
  return { server, org, alice, bob, bobKeys, orgId, trading: trading.id, lunch: lunch.id };
}

for (const dialect of DIALECTS) {
  test(
    `the archive reads an archived channel's messages with its private key alone; other channels get no keys (${dialect})`,
    { timeout: 120_000 },
    async (t) => {
      const { server, alice, bob, bobKeys, orgId, trading, lunch } = await startArchivedOrg(t, dialect);
      await alice.sendMessage(trading, "said before the policy");
      await bob.sendMessage(lunch, "lunch before the policy");
      await Promise.all([alice.idle(), bob.idle()]);
      assert.deepEqual(bob.archiveStatus(trading), { archived: false, policyName: null, version: null, since: null, signerFingerprint: null, problem: null });

      const keys = newArchiveKeys();
      const notices: ArchiveStatusNotice[] = [];
      bob.on("archive.status", (n) => notices.push(n));
      await alice.api.call("setArchivePolicy", { body: signedArchivePolicy(keys, orgId, 1, scopeOf([trading])) });
      await until(() => alice.archiveStatus(trading)?.archived === true && bob.archiveStatus(trading)?.archived === true, "both devices see the policy");
      const st = bob.archiveStatus(trading)!;
      assert.equal(st.policyName, "Acme compliance archive");
      assert.equal(st.version, 1);
      assert.equal(typeof st.since, "number");
      assert.equal(st.signerFingerprint, archiveKeyFingerprint(keys.signer.publicKey));
      assert.equal(st.problem, null);
      assert.equal(bob.archiveStatus(lunch)?.archived, false);
      assert.ok(
        notices.some((n) => n.statuses[trading]?.archived),
        "the app is told",
      );
      assert.ok(await bobKeys.get("sdk/archive/policy"), "the pins are kept in the device's key store");

      // Keys learned after the policy: new epochs (a self-update, a member's commit), messages both ways.
      await bob.sendMessage(trading, "bob under the archive");
      await alice.e2ee!.selfUpdate(trading);
      await alice.sendMessage(trading, "alice in a later epoch");
      await bob.e2ee!.selfUpdate(trading);
      await bob.sendMessage(trading, "bob in the epoch he made");
      await alice.sendMessage(lunch, "lunch after the policy");
      await Promise.all([alice.idle(), bob.idle()]);
      await Promise.all([alice.e2ee!.locker.flush(), bob.e2ee!.locker.flush()]);

      const expected = ["said before the policy", "bob under the archive", "alice in a later epoch", "bob in the epoch he made"];
      await poll(
        () => officerReads(alice, keys, orgId, trading),
        (texts) => JSON.stringify(texts) === JSON.stringify(expected),
        "the officer reads every message of the archived channel",
      );
      const sealers = await server.deps.db.selectFrom("archive_key_entries").select(["user_id", "policy_version"]).where("channel_id", "=", trading).execute();
      assert.deepEqual(new Set(sealers.map((s) => s.user_id)), new Set([alice.userId, bob.userId]), "every member's device seals");
      assert.ok(sealers.every((s) => Number(s.policy_version) === 1));
      const lunchKeys = await server.deps.db.selectFrom("archive_key_entries").select("id").where("channel_id", "=", lunch).execute();
      assert.equal(lunchKeys.length, 0, "a channel outside the scope gets no archive keys");

      // The scope grows to lunch (version 2, same signer): the keys the devices already held for it go too.
      await alice.api.call("setArchivePolicy", { body: signedArchivePolicy(keys, orgId, 2, scopeOf([trading, lunch])) });
      await until(() => bob.archiveStatus(lunch)?.archived === true && bob.archiveStatus(lunch)?.version === 2, "bob sees version 2");
      await poll(
        () => officerReads(alice, keys, orgId, lunch),
        (texts) => texts.join("|") === "lunch before the policy|lunch after the policy",
        "the officer reads the channel archived later, from before it was",
      );
    },
  );
}

test("a server that misreports the archive is caught: the device refuses to send there and says why", { timeout: 120_000 }, async (t) => {
  // The server's answer to GET /e2ee/archive-policy, as a malicious server would rewrite it for bob.
  let lie: ((body: { archivedChannelIds: string[] }) => void) | undefined;
  const lyingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!lie || !url.includes("/e2ee/archive-policy")) return res;
    const body = (await res.json()) as { archivedChannelIds: string[] };
    lie(body);
    return new Response(JSON.stringify(body), { status: res.status, headers: { "content-type": "application/json" } });
  };
  const { server, alice, bob, orgId, trading, lunch } = await startArchivedOrg(t, "sqlite", lyingFetch);
  const keys = newArchiveKeys();
  await alice.api.call("setArchivePolicy", { body: signedArchivePolicy(keys, orgId, 1, scopeOf([trading])) });
  await until(() => bob.archiveStatus(trading)?.archived === true, "bob sees the policy");
  const sent = await bob.sendMessage(trading, "fine so far");
  const refused = async (channelId: string, code: string) => {
    for (const attempt of [
      () => bob.sendMessage(channelId, "must not go"),
      () => bob.react(channelId, sent.event.seq, "👍"),
      () => bob.edit(channelId, sent.event.seq, "must not go"),
      () => bob.delete(channelId, sent.event.seq),
      () => bob.sendFile(channelId, new Uint8Array(10), { name: "x.txt", mime: "text/plain" }),
    ]) {
      await assert.rejects(attempt(), (err: { code?: string; message?: string; details?: { problem?: string } }) => {
        assert.equal(err.code, "archive_mismatch");
        assert.equal(err.details?.problem, code);
        assert.match(err.message ?? "", /sending is blocked in this channel/);
        return true;
      });
    }
    assert.equal(bob.archiveStatus(channelId)?.problem?.code, code);
  };
  const notices: ArchiveStatusNotice[] = [];
  bob.on("archive.status", (n) => notices.push(n));

  // 1. The server drops the archived channel from its list (so devices would think nothing is archived).
  lie = (body) => void (body.archivedChannelIds = body.archivedChannelIds.filter((id) => id !== trading));
  await bob.e2ee!.archive.refresh();
  await refused(trading, "server_mismatch");
  assert.match(bob.archiveStatus(trading)!.problem!.message, /reports this channel as not archived/);
  assert.ok(
    notices.some((n) => n.statuses[trading]?.problem?.code === "server_mismatch"),
    "the app is told",
  );
  await bob.sendMessage(lunch, "lunch is not in question");
  // ... or claims one the policy does not cover.
  lie = (body) => void body.archivedChannelIds.push(lunch);
  await bob.e2ee!.archive.refresh();
  await refused(lunch, "server_mismatch");
  assert.match(bob.archiveStatus(lunch)!.problem!.message, /reports this channel as archived/);
  lie = undefined;
  await bob.e2ee!.archive.refresh();
  assert.equal(bob.archiveStatus(trading)?.problem, null, "an honest answer clears it");
  await bob.sendMessage(trading, "fine again");

  // A label the server adds to a channel (labels are server metadata) is caught up with, not a mismatch.
  await alice.api.call("setArchivePolicy", { body: signedArchivePolicy(keys, orgId, 2, scopeOf([trading], ["regulated"])) });
  await until(() => bob.archiveStatus(trading)?.version === 2, "bob sees version 2");
  await server.deps.db
    .updateTable("channels")
    .set({ labels: JSON.stringify(["regulated"]) })
    .where("id", "=", lunch)
    .execute();
  await bob.e2ee!.archive.refresh();
  assert.deepEqual([bob.archiveStatus(lunch)?.archived, bob.archiveStatus(lunch)?.problem], [true, null], "the device looked the channel up again");
  await bob.sendMessage(lunch, "lunch is archived now");

  // 2. A policy signed by the server's own key (it would have devices seal to a key it holds).
  const intruder = newArchiveKeys();
  const forged = signedArchivePolicy(intruder, orgId, 3, scopeOf([trading, lunch]));
  const row = {
    org_id: orgId,
    version: 3,
    policy: JSON.stringify(forged.policy),
    signature: forged.signature,
    signer_key: forged.policy.signerKey,
    created_by: null,
    created_at: Date.now(),
  };
  await server.deps.db.insertInto("archive_policies").values(row).execute();
  await bob.e2ee!.archive.refresh();
  await refused(trading, "signer_changed");
  assert.equal(bob.archiveStatus(trading)?.version, 2, "the device keeps the policy it accepted");
  await server.deps.db.deleteFrom("archive_policies").where("org_id", "=", orgId).where("version", "=", 3).execute();

  // 3. An older version (the scope rolled back) and no policy at all.
  await server.deps.db.deleteFrom("archive_policies").where("org_id", "=", orgId).where("version", "=", 2).execute();
  await bob.e2ee!.archive.refresh();
  await refused(trading, "rollback");
  await refused(lunch, "rollback");
  await server.deps.db.deleteFrom("archive_policies").where("org_id", "=", orgId).execute();
  await bob.e2ee!.archive.refresh();
  await refused(trading, "rollback");

  // 4. A policy altered after signing (the scope shrunk).
  const v2 = signedArchivePolicy(keys, orgId, 2, scopeOf([trading], ["regulated"]));
  const tampered = { ...v2.policy, scope: scopeOf([]) };
  await server.deps.db
    .insertInto("archive_policies")
    .values({ ...row, version: 2, policy: JSON.stringify(tampered), signature: v2.signature, signer_key: v2.policy.signerKey })
    .execute();
  await bob.e2ee!.archive.refresh();
  await refused(trading, "bad_signature");

  // The honest policy back: sending resumes.
  await server.deps.db
    .updateTable("archive_policies")
    .set({ policy: JSON.stringify(v2.policy) })
    .where("org_id", "=", orgId)
    .where("version", "=", 2)
    .execute();
  await bob.e2ee!.archive.refresh();
  assert.equal(bob.archiveStatus(trading)?.problem, null);
  await bob.sendMessage(trading, "back to normal");
});

test(
  "exactly once across a restart in an archived channel: a device closed with a re-check under way and its own send held by it shows nothing twice",
  { timeout: 120_000 },
  async (t) => {
    // Bob's policy look-ups answer slowly once `slow` is set: a send waits in the archive check while the device closes.
    let slow = false;
    const slowFetch: typeof fetch = async (input, init) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      if (slow && url.includes("/e2ee/archive-policy")) await new Promise((r) => setTimeout(r, 1000));
      return fetch(input, init);
    };
    const { alice, bob, bobKeys, orgId, trading } = await startArchivedOrg(t, "sqlite", slowFetch);
    await alice.api.call("setArchivePolicy", { body: signedArchivePolicy(newArchiveKeys(), orgId, 1, scopeOf([trading])) });
    await until(() => alice.archiveStatus(trading)?.archived === true && bob.archiveStatus(trading)?.archived === true, "both devices see the policy");
    const first = collect(bob, trading);
    await alice.sendMessage(trading, "shown before the restart");
    await until(() => first.some((e) => e.text === "shown before the restart"), "bob's device shows the message");

    // A channel bob is added to changes what the archive may cover: his device checks the policy again.
    slow = true;
    const news = await alice.createChannel({ kind: "private", name: "news", members: [bob.userId] });
    await until(() => news.id in bob.archiveStatuses(), "bob's device learns of the new channel");
    const held = bob.sendMessage(trading, "held by the archive check").catch((err: unknown) => err);
    await bob.idle();
    await bob.close();
    // close() waited for the send held by the check: it is in the outbox the store saved (the connection
    // is down, so it cannot have been acknowledged), not written after the store's last flush.
    assert.ok(
      (await bob.store.loadOutbox()).some((e) => e.channelId === trading),
      "the held send is in the saved outbox when close() returns",
    );
    await held;
    slow = false;

    await alice.sendMessage(trading, "sent while bob was away");
    await alice.e2ee!.selfUpdate(trading);
    await alice.sendMessage(trading, "in a later epoch");
    const bobAgain = await ParleyClient.resume({ ...FAST, store: bob.store, e2ee: { ...FAST.e2ee, keyStore: bobKeys } });
    t.after(() => bobAgain.close());
    const again = collect(bobAgain, trading);
    bobAgain.connect();
    const shown = () => [...first, ...again].filter((e) => e.kind === "message").map((e) => e.text);
    await until(() => shown().includes("in a later epoch") && shown().includes("held by the archive check"), "bob's device catches up");
    await bobAgain.idle();
    await alice.idle();
    assert.equal(
      again.find((e) => e.text === "shown before the restart"),
      undefined,
      "what the device showed before it closed is not shown again",
    );
    const expected = ["shown before the restart", "held by the archive check", "sent while bob was away", "in a later epoch"];
    assert.deepEqual([...shown()].sort(), [...expected].sort(), "each message once on bob's device");
    const aliceSaw = (await alice.history(trading)).events.filter((e) => e.kind === "message").map((e) => e.text);
    assert.deepEqual([...aliceSaw].sort(), [...expected].sort(), "bob's held send went once");
  },
);
