/**
 * Device approval (ADR 0007, cross-signing) on both dialects, with real keys, commitments, seals
 * and signatures from @parley/crypto: a device approving itself, the hand-off from one device of
 * a user to another, forged approvals refused with nothing stored, and what the identity
 * directory and the device lists show. Wrong callers, wrong states, expiry, other users and orgs
 * and malformed input: approval-steps.test.ts.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import {
  approvalCode,
  checkApprovalCommitment,
  generateApprovalKeyPair,
  generateUserIdentity,
  openFromDevice,
  sealToDevice,
  verifyDeviceApproval,
  type HandoffContext,
} from "@parley/crypto";
import { APPROVAL_LIMITS, type DeviceBinding } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeUser, type TestUser } from "../../testing/factories.ts";
import { lockerMaterialFor, type LockerMaterial } from "../../testing/locker.ts";
import { approvalItems, approvalSignature, askingKeys, bindDevice, deviceOf, newDevice, streamHead, type TestDevice } from "../../testing/approvals.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const bytes = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
const flipBit = (s: string) => {
  const b = bytes(s);
  b[17]! ^= 0x04;
  return b64(b);
};

for (const dialect of DIALECTS) {
  describe(`device approval (${dialect})`, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    /** Alice's first device: sets up the locker and approves itself. */
    let laptop: TestDevice;
    /** Approved by the laptop through a request. */
    let phone: TestDevice;
    /** Never registers an MLS key: it cannot be approved. */
    let tablet: TestDevice;
    let mine: LockerMaterial;
    before(async () => {
      s = await startTestServer({ dialect });
      alice = await bootstrapOrg(s);
      bob = await makeUser(s, alice);
      laptop = await bindDevice(deviceOf(alice));
      phone = await bindDevice(await newDevice(s, alice, "phone"));
      tablet = await newDevice(s, alice, "tablet");
      mine = await lockerMaterialFor(alice);
    });
    after(() => s.stop());

    /** Alice's identity key's approval of `d` (or a forgery, given another key, device id or identity key). */
    const sign = (d: TestDevice, key = d.signatureKey!, deviceId = d.deviceId, identity = mine.identity.privateKey) =>
      approvalSignature(identity, alice, deviceId, key);
    const audits = async (action: string) =>
      (await s.deps.db.selectFrom("audit_log").selectAll().where("org_id", "=", alice.org.id).where("action", "=", action).orderBy("seq").execute()).map(
        (r) => ({ actor: r.actor_device_id, target: r.target_id, details: JSON.parse(r.details) as unknown }),
      );
    const counts = async () => ({
      approvals: await countRows(s, "device_approvals"),
      requests: await countRows(s, "approval_requests"),
      audit: await countRows(s, "audit_log"),
      stream: await countRows(s, "user_stream"),
    });
    const approvedFlags = async (u: TestUser, path = "/devices") =>
      Object.fromEntries(((await u.api("GET", path)).body.devices as { id: string; approved: boolean }[]).map((d) => [d.id, d.approved]));
    /** Runs a request of `d` up to `revealed`, accepted by `approver`. */
    const toRevealed = async (d: TestDevice, approver: TestDevice) => {
      const asking = askingKeys(d);
      const id: string = (await d.api("POST", "/me/approval-requests", { commitment: asking.commitment })).body.id;
      const approverKeys = generateApprovalKeyPair();
      assert.equal((await approver.api("POST", `/me/approval-requests/${id}/accept`, { publicKey: b64(approverKeys.publicKey) })).status, 200);
      assert.equal((await d.api("POST", `/me/approval-requests/${id}/reveal`, { publicKey: b64(asking.keys.publicKey) })).status, 200);
      return { id, asking, approverKeys };
    };

    it("approves nothing before the user has a key locker", async () => {
      const before = await counts();
      const ask = await laptop.api("POST", "/me/approval-requests", { commitment: askingKeys(laptop).commitment });
      assert.equal(ask.status, 404);
      assert.equal(ask.body.code, "not_found");
      const self = await laptop.api("PUT", "/me/approval", { signature: sign(laptop) });
      assert.equal(self.status, 404);
      assert.equal(self.body.code, "not_found");
      assert.deepEqual(await counts(), before);
      assert.equal((await laptop.api("PUT", "/me/locker", mine.body)).status, 200);
    });

    it("lets a device holding the identity key approve itself, and refuses forged self-approvals storing nothing", async () => {
      const before = await counts();
      const refuse = async (d: TestDevice, signature: string, reason: string) => {
        const r = await d.api("PUT", "/me/approval", { signature });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.code, "approval_invalid");
        assert.deepEqual(r.body.details, { reason });
      };
      await refuse(laptop, sign(laptop, laptop.signatureKey!, laptop.deviceId, generateUserIdentity().privateKey), "bad_signature");
      await refuse(laptop, sign(laptop, phone.signatureKey!), "bad_signature");
      await refuse(laptop, sign(phone), "bad_signature");
      await refuse(laptop, flipBit(sign(laptop)), "bad_signature");
      await refuse(tablet, sign(tablet, laptop.signatureKey!), "no_binding");
      assert.deepEqual(await counts(), before);
      assert.deepEqual(await approvedFlags(alice), { [laptop.deviceId]: false, [phone.deviceId]: false, [tablet.deviceId]: false });

      const head = await streamHead(alice);
      const ok = await laptop.api("PUT", "/me/approval", { signature: sign(laptop) });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.deepEqual(ok.body, { deviceId: laptop.deviceId, approved: true });
      assert.deepEqual(await audits("device.approved"), [{ actor: laptop.deviceId, target: laptop.deviceId, details: { by: "self" } }]);
      const items = await approvalItems(alice, head);
      assert.deepEqual(
        items.map((i) => [i.kind, i.data]),
        [["approval.updated", { requestId: null, deviceId: laptop.deviceId, state: "approved" }]],
      );
      assert.equal((await approvedFlags(alice))[laptop.deviceId], true);

      // The same approval again is fine and records nothing new.
      const after = await counts();
      assert.equal((await laptop.api("PUT", "/me/approval", { signature: sign(laptop) })).status, 200);
      assert.deepEqual(await counts(), after);
      // An approved device asks for nothing.
      const ask = await laptop.api("POST", "/me/approval-requests", { commitment: askingKeys(laptop).commitment });
      assert.equal(ask.status, 409);
      assert.equal(ask.body.code, "already_approved");
      assert.deepEqual(await counts(), after);
    });

    it("hands the user's keys from an approved device to a new one and stores the checked approval", async () => {
      const head = await streamHead(alice);
      const auditBefore = await countRows(s, "audit_log");
      const asking = askingKeys(phone);
      const created = await phone.api("POST", "/me/approval-requests", { commitment: asking.commitment });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.headers.get("cache-control"), "no-store");
      const id: string = created.body.id;
      assert.deepEqual(
        { ...created.body, id: "", createdAt: 0, expiresAt: created.body.expiresAt - created.body.createdAt },
        {
          id: "",
          deviceId: phone.deviceId,
          deviceName: "phone",
          state: "pending",
          commitment: asking.commitment,
          approverDeviceId: null,
          approverKey: null,
          deviceKey: null,
          sealed: null,
          createdAt: 0,
          expiresAt: APPROVAL_LIMITS.ttlMs,
        },
      );
      // The laptop's dialog finds it.
      assert.deepEqual(
        (await laptop.api("GET", "/me/approval-requests")).body.requests.map((r: { id: string }) => r.id),
        [id],
      );

      const approver = generateApprovalKeyPair();
      const accepted = await laptop.api("POST", `/me/approval-requests/${id}/accept`, { publicKey: b64(approver.publicKey) });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.body.state, "accepted");
      assert.equal(accepted.body.approverDeviceId, laptop.deviceId);
      assert.equal(accepted.body.approverKey, b64(approver.publicKey));

      const seenByPhone = (await phone.api("GET", `/me/approval-requests/${id}`)).body;
      assert.equal(seenByPhone.approverKey, b64(approver.publicKey));
      const revealed = await phone.api("POST", `/me/approval-requests/${id}/reveal`, { publicKey: b64(asking.keys.publicKey) });
      assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
      assert.equal(revealed.body.state, "revealed");

      // The laptop checks the revealed key against the commitment; both devices show the same code.
      const seenByLaptop = (await laptop.api("GET", `/me/approval-requests/${id}`)).body;
      assert.ok(checkApprovalCommitment(bytes(seenByLaptop.commitment), bytes(seenByLaptop.deviceKey), phone.deviceId));
      assert.equal(
        approvalCode(approver.publicKey, bytes(seenByLaptop.deviceKey), laptop.deviceId, phone.deviceId),
        approvalCode(asking.keys.publicKey, bytes(seenByPhone.approverKey), phone.deviceId, laptop.deviceId),
      );

      const context: HandoffContext = { orgId: alice.org.id, userId: alice.user.id, fromDeviceId: laptop.deviceId, toDeviceId: phone.deviceId };
      const secrets = { lockerPrivateKey: mine.locker.privateKey, identityPrivateKey: mine.identity.privateKey };
      const sealed = b64(await sealToDevice(approver, asking.keys.publicKey, secrets, context));
      const done = await laptop.api("POST", `/me/approval-requests/${id}/complete`, { sealed, signature: sign(phone) });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.state, "approved");
      assert.equal(done.body.sealed, null, "the sealed keys go to the device that asked only");

      // Only the phone reads the sealed keys, and they open there.
      const mineNow = (await phone.api("GET", `/me/approval-requests/${id}`)).body;
      assert.equal(mineNow.sealed, sealed);
      assert.equal((await laptop.api("GET", `/me/approval-requests/${id}`)).body.sealed, null);
      assert.equal((await tablet.api("GET", `/me/approval-requests/${id}`)).body.sealed, null);
      const opened = await openFromDevice(asking.keys.privateKey, bytes(mineNow.approverKey), bytes(mineNow.sealed), context);
      assert.deepEqual([b64(opened.lockerPrivateKey), b64(opened.identityPrivateKey)], [b64(secrets.lockerPrivateKey), b64(secrets.identityPrivateKey)]);
      assert.deepEqual((await laptop.api("GET", "/me/approval-requests")).body, { requests: [] });

      // Every step reached all of Alice's devices; creation and approval are audited, the relay steps are not.
      assert.deepEqual(
        (await approvalItems(alice, head)).map((i) => [i.kind, i.data]),
        [
          ["approval.requested", { requestId: id, deviceId: phone.deviceId, deviceName: "phone" }],
          ["approval.updated", { requestId: id, deviceId: phone.deviceId, state: "accepted" }],
          ["approval.updated", { requestId: id, deviceId: phone.deviceId, state: "revealed" }],
          ["approval.updated", { requestId: id, deviceId: phone.deviceId, state: "approved" }],
        ],
      );
      assert.deepEqual((await audits("device.approval.requested")).at(-1), { actor: phone.deviceId, target: phone.deviceId, details: { requestId: id } });
      assert.deepEqual((await audits("device.approved")).at(-1), {
        actor: laptop.deviceId,
        target: phone.deviceId,
        details: { by: laptop.deviceId, requestId: id },
      });
      assert.equal(await countRows(s, "audit_log"), auditBefore + 2);

      // Another user of the org verifies both approvals against the directory's bindings.
      const identity = await bob.api("GET", `/users/${alice.user.id}/identity`);
      assert.equal(identity.status, 200);
      assert.equal(identity.body.identityKey, mine.body.identityKey);
      const approvals: { deviceId: string; signature: string }[] = identity.body.approvals;
      assert.deepEqual(
        approvals.map((a) => a.deviceId),
        [laptop.deviceId, phone.deviceId],
      );
      const bindings: DeviceBinding[] = (await bob.api("GET", `/e2ee/bindings?userIds=${alice.user.id}`)).body.bindings;
      for (const a of approvals) {
        const binding = bindings.find((b) => b.deviceId === a.deviceId)!;
        const fields = { orgId: alice.org.id, userId: alice.user.id, deviceId: a.deviceId, deviceSignaturePublicKey: bytes(binding.signaturePublicKey) };
        assert.ok(verifyDeviceApproval(bytes(identity.body.identityKey), { ...fields, signature: bytes(a.signature) }, fields), a.deviceId);
      }
      const flags = { [laptop.deviceId]: true, [phone.deviceId]: true, [tablet.deviceId]: false };
      assert.deepEqual(await approvedFlags(alice), flags);
      assert.deepEqual(await approvedFlags(alice, `/users/${alice.user.id}/devices`), flags);
      assert.deepEqual(Object.values(await approvedFlags(alice, `/users/${bob.user.id}/devices`)), [false]);
      const ask = await phone.api("POST", "/me/approval-requests", { commitment: askingKeys(phone).commitment });
      assert.equal(ask.body.code, "already_approved");
    });

    it("refuses forged approvals of a new device, storing nothing and leaving the request as it was", async () => {
      const desk = await bindDevice(await newDevice(s, alice, "desk"));
      const { id } = await toRevealed(desk, laptop);
      const before = await counts();
      const sealed = b64(crypto.randomBytes(97));
      const refuse = async (signature: string, reason: string, requestId = id) => {
        const r = await laptop.api("POST", `/me/approval-requests/${requestId}/complete`, { sealed, signature });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.code, "approval_invalid");
        assert.deepEqual(r.body.details, { reason });
      };
      await refuse(sign(desk, desk.signatureKey!, desk.deviceId, generateUserIdentity().privateKey), "bad_signature");
      await refuse(sign(desk, phone.signatureKey!), "bad_signature");
      await refuse(sign(desk, desk.signatureKey!, phone.deviceId), "bad_signature");
      await refuse(sign(phone), "bad_signature");
      await refuse(flipBit(sign(desk)), "bad_signature");
      assert.deepEqual(await counts(), before);
      const unchanged = (await desk.api("GET", `/me/approval-requests/${id}`)).body;
      assert.equal(unchanged.state, "revealed");
      assert.equal(unchanged.sealed, null);
      assert.equal((await approvedFlags(alice))[desk.deviceId], false);

      // A device without a directory binding has no key to approve.
      const noKey = await toRevealed(tablet, laptop);
      const counted = await counts();
      await refuse(sign(tablet, laptop.signatureKey!), "no_binding", noKey.id);
      assert.deepEqual(await counts(), counted);
      assert.equal((await tablet.api("GET", `/me/approval-requests/${noKey.id}`)).body.state, "revealed");

      // The real approval still goes through after the refusals.
      const ok = await laptop.api("POST", `/me/approval-requests/${id}/complete`, { sealed, signature: sign(desk) });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal((await desk.api("GET", `/me/approval-requests/${id}`)).body.sealed, sealed);
      assert.equal((await approvedFlags(alice))[desk.deviceId], true);
    });

    it("serves the approvals of active devices only; a revoked device keeps its flag in the device list", async () => {
      const identityDevices = async () =>
        ((await bob.api("GET", `/users/${alice.user.id}/identity`)).body.approvals as { deviceId: string }[]).map((a) => a.deviceId);
      const before = await identityDevices();
      assert.equal(before.length, 3);
      assert.equal((await laptop.api("DELETE", `/devices/${phone.deviceId}`)).status, 204);
      assert.deepEqual(
        await identityDevices(),
        before.filter((d) => d !== phone.deviceId),
      );
      const listed = ((await laptop.api("GET", "/devices")).body.devices as { id: string; revoked: boolean; approved: boolean }[]).find(
        (d) => d.id === phone.deviceId,
      );
      assert.deepEqual([listed?.revoked, listed?.approved], [true, true]);
    });
  });
}
