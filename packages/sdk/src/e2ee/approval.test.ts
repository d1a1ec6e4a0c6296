/**
 * Device approval from devices (issue 9, ADR 0007 "cross-signing"), real clients and server: a
 * new device asks, an approved device of the same user accepts, both compute the same code, the
 * approving device confirms and hands the keys over; the new device then reads every earlier
 * message, and other users' clients trust it. A declined request, a key swapped by the relay
 * (the commitment check), an identity key the server swaps and a forged approval in the
 * database are each caught.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateApprovalKeyPair, MemoryKeyStore } from "@parley/crypto";
import { sql } from "kysely";
import { FAST, startLivePair, until } from "../testing/e2ee-clients.ts";
import type { ParleyClient } from "../client.ts";
import type { ClientOptions } from "../client-options.ts";

const QUICK: ClientOptions = { ...FAST, e2ee: { ...FAST.e2ee, approvalPollMs: 20 } };

async function readable(c: ParleyClient, channelId: string): Promise<string[]> {
  const { events } = await c.history(channelId, { limit: 200 });
  return events.filter((e) => e.kind === "message").map((e) => (e.content.decodeReason ? `!${e.content.decodeReason}` : e.text!));
}

async function startWithPhone(t: import("node:test").TestContext) {
  const pair = await startLivePair(t, QUICK);
  const { org, alice, bob } = pair;
  const ch = await alice.createChannel({ kind: "private", name: "approval", members: [bob.userId] });
  await alice.sendMessage(ch.id, "before the phone");
  await bob.sendMessage(ch.id, "bob before the phone");
  await alice.e2ee!.locker.setUp();
  await alice.e2ee!.locker.flush();
  const phone = await org.device("alice", { e2ee: { ...QUICK.e2ee, keyStore: new MemoryKeyStore() } });
  phone.connect();
  await phone.waitUntilLive();
  await until(() => phone.e2ee!.members(ch.id) !== undefined, "the phone joins the group");
  return { ...pair, ch, phone };
}

test("a new device approved from another reads every earlier message; both show the same code; others trust it", async (t) => {
  const { org, alice, bob, ch, phone } = await startWithPhone(t);
  const laptopDevice = alice.session!.deviceId;
  const phoneDevice = phone.session!.deviceId;
  assert.deepEqual((await bob.e2ee!.approvals.trust([alice.userId]))[0]!.approved, [laptopDevice], "the laptop approved itself at setup");
  assert.ok(
    (await readable(phone, ch.id)).every((x) => x === "!history_unavailable"),
    "nothing earlier readable yet",
  );

  const request = await phone.e2ee!.approvals.request();
  const pending = await alice.e2ee!.approvals.pending();
  assert.deepEqual(
    pending.map((r) => r.deviceId),
    [phoneDevice],
  );
  assert.deepEqual(await phone.e2ee!.approvals.pending(), [], "a device is not asked to approve itself");
  const [phoneCode, accepted] = await Promise.all([phone.e2ee!.approvals.code(request.id), alice.e2ee!.approvals.accept(request.id)]);
  assert.match(phoneCode, /^\d{6}$/);
  assert.equal(accepted.code, phoneCode, "both devices show the same code");

  const approved = phone.e2ee!.approvals.awaitApproval(request.id);
  await alice.e2ee!.approvals.confirm(request.id);
  assert.ok((await approved) >= 2, "the phone read the locker");
  assert.deepEqual(await readable(phone, ch.id), ["before the phone", "bob before the phone"]);
  assert.deepEqual((await phone.e2ee!.locker.status()).canRead, true);

  const trust = (await bob.e2ee!.approvals.trust([alice.userId]))[0]!;
  assert.deepEqual([...trust.approved].sort(), [laptopDevice, phoneDevice].sort(), "bob trusts both of alice's devices");
  assert.equal(trust.identityKeyChanged, false);
  const devices = (await alice.api.call("listDevices")).devices;
  assert.ok(devices.find((d) => d.id === phoneDevice)!.approved);

  // The phone holds the identity key now: it approves the next device itself.
  const tablet = await org.device("alice", { e2ee: { ...QUICK.e2ee, keyStore: new MemoryKeyStore() } });
  await assert.rejects(tablet.e2ee!.approvals.accept(request.id), { code: "forbidden" }, "an unapproved device approves nobody");
  assert.ok((await approve(tablet, phone)) >= 2);
  assert.equal((await bob.e2ee!.approvals.trust([alice.userId]))[0]!.approved.length, 3);
  await assert.rejects(tablet.e2ee!.approvals.request(), { code: "already_approved" });
});

/** The whole handshake: `device` asks, `approver` accepts and confirms; returns the keys the new device read. */
async function approve(device: ParleyClient, approver: ParleyClient): Promise<number> {
  const request = await device.e2ee!.approvals.request();
  const [code, accepted] = await Promise.all([device.e2ee!.approvals.code(request.id), approver.e2ee!.approvals.accept(request.id)]);
  assert.equal(code, accepted.code);
  const approved = device.e2ee!.approvals.awaitApproval(request.id);
  await approver.e2ee!.approvals.confirm(request.id);
  return approved;
}

test("declining, a key swapped by the relay, a swapped identity key and a forged approval are each caught", async (t) => {
  const { server, alice, bob, phone } = await startWithPhone(t);
  const db = server.deps.db;
  const phoneDevice = phone.session!.deviceId;

  // Declined on the laptop: the phone is told, nothing is handed over.
  const first = await phone.e2ee!.approvals.request();
  const code = phone.e2ee!.approvals.code(first.id);
  await alice.e2ee!.approvals.decline(first.id);
  await assert.rejects(code, { code: "approval_state" });
  assert.equal((await phone.e2ee!.locker.status()).canRead, false);

  // The relay swaps the key the phone revealed: the laptop's commitment check refuses it. The swap
  // is made in the reveal's own write (a trigger), so the laptop never sees the real key.
  const swapped = generateApprovalKeyPair().publicKey;
  await sql
    .raw(
      `CREATE TRIGGER swap_revealed_key AFTER UPDATE OF state ON approval_requests WHEN NEW.state = 'revealed' BEGIN UPDATE approval_requests SET device_key = X'${Buffer.from(swapped).toString("hex")}' WHERE id = NEW.id; END`,
    )
    .execute(db);
  const second = await phone.e2ee!.approvals.request();
  const phoneCode = phone.e2ee!.approvals.code(second.id).catch((err: unknown) => err);
  const accepting = alice.e2ee!.approvals.accept(second.id);
  await assert.rejects(accepting, { code: "approval_invalid" });
  await sql.raw("DROP TRIGGER swap_revealed_key").execute(db);
  await phoneCode;
  const after = await phone.api.call("getApprovalRequest", { params: { id: second.id } });
  assert.equal(after.state, "declined", "the laptop declined it");

  // A forged approval row (not signed by alice's identity key) is not trusted.
  await db
    .insertInto("device_approvals")
    .values({
      device_id: phoneDevice,
      org_id: alice.session!.orgId,
      user_id: alice.userId,
      signature: new Uint8Array(64).fill(7),
      approved_by: null,
      created_at: Date.now(),
    })
    .execute();
  assert.deepEqual((await bob.e2ee!.approvals.trust([alice.userId]))[0]!.approved, [alice.session!.deviceId], "the forged approval does not verify");

  // The server answers with another identity key than bob first saw: nothing of alice's is trusted.
  await db
    .updateTable("user_lockers")
    .set({ identity_key: new Uint8Array(32).fill(9) })
    .where("user_id", "=", alice.userId)
    .execute();
  const trust = (await bob.e2ee!.approvals.trust([alice.userId]))[0]!;
  assert.deepEqual(trust, { userId: alice.userId, approved: [], hasIdentity: true, identityKeyChanged: true });
});
