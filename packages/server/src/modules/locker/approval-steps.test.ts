/**
 * Device approval requests on both dialects (the hand-off itself: approvals.test.ts): each step
 * by the wrong device or in the wrong state, a request replaced, cancelled or expired, another
 * user's and another org's requests, and malformed input. A refused step answers its stable
 * code and changes nothing: no row, no stream item, no audit entry.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { generateApprovalKeyPair } from "@parley/crypto";
import { APPROVAL_LIMITS } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { lockerMaterialFor, type LockerMaterial } from "../../testing/locker.ts";
import { approvalItems, approvalSignature, askingKeys, bindDevice, deviceOf, newDevice, streamHead, type TestDevice } from "../../testing/approvals.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const random = (n: number) => b64(crypto.randomBytes(n));
const key = () => ({ publicKey: b64(generateApprovalKeyPair().publicKey) });

for (const dialect of DIALECTS) {
  describe(`device approval requests (${dialect})`, () => {
    let s: TestServer;
    let alice: TestUser;
    /** Alice's approved devices (each approved itself with the identity key). */
    let laptop: TestDevice;
    let desk: TestDevice;
    /** Alice's devices that ask. */
    let phone: TestDevice;
    let tablet: TestDevice;
    let bob: TestDevice;
    let other: TestDevice;
    let mine: LockerMaterial;
    before(async () => {
      // Access tokens outlive a request (expiry moves the clock past APPROVAL_LIMITS.ttlMs).
      s = await startTestServer({ dialect, config: { accessTokenTtl: 3600 } });
      alice = await bootstrapOrg(s);
      mine = await lockerMaterialFor(alice);
      laptop = await bindDevice(deviceOf(alice));
      desk = await bindDevice(await newDevice(s, alice, "desk"));
      phone = await bindDevice(await newDevice(s, alice, "phone"));
      tablet = await newDevice(s, alice, "tablet");
      assert.equal((await laptop.api("PUT", "/me/locker", mine.body)).status, 200);
      for (const d of [laptop, desk]) {
        const r = await d.api("PUT", "/me/approval", { signature: approvalSignature(mine.identity.privateKey, alice, d.deviceId, d.signatureKey!) });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
      bob = deviceOf(await makeUser(s, alice));
      other = deviceOf(await makeOrg(s));
      for (const u of [bob, other]) assert.equal((await u.api("PUT", "/me/locker", (await lockerMaterialFor(u)).body)).status, 200);
    });
    after(() => s.stop());

    const counts = async () => ({
      approvals: await countRows(s, "device_approvals"),
      requests: await countRows(s, "approval_requests"),
      audit: await countRows(s, "audit_log"),
      stream: await countRows(s, "user_stream"),
    });
    const create = async (d: TestDevice): Promise<string> => {
      const r = await d.api("POST", "/me/approval-requests", { commitment: askingKeys(d).commitment });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id;
    };
    const stateOf = async (id: string) => (await laptop.api("GET", `/me/approval-requests/${id}`)).body.state;
    const lastAudit = async (action: string) => {
      const r = await s.deps.db
        .selectFrom("audit_log")
        .selectAll()
        .where("org_id", "=", alice.org.id)
        .where("action", "=", action)
        .orderBy("seq", "desc")
        .executeTakeFirstOrThrow();
      return { actor: r.actor_device_id, target: r.target_id, details: JSON.parse(r.details) as unknown };
    };
    /** A step that must be refused with `code` (and `details.state`), changing nothing. */
    const refused = async (d: TestUser, id: string, step: string, body: unknown, code: string, state?: string) => {
      const before = await counts();
      const r = await d.api("POST", `/me/approval-requests/${id}/${step}`, body);
      assert.equal(r.body.code, code, `${step}: ${JSON.stringify(r.body)}`);
      if (state) assert.deepEqual(r.body.details, { state });
      assert.deepEqual(await counts(), before, `${step} wrote something`);
    };
    const completion = () => ({ sealed: random(97), signature: approvalSignature(mine.identity.privateKey, alice, phone.deviceId, phone.signatureKey!) });

    it("refuses each step by the wrong device or in the wrong state", async () => {
      const id = await create(phone);
      // pending
      await refused(phone, id, "accept", key(), "forbidden");
      await refused(tablet, id, "accept", key(), "not_approved");
      await refused(phone, id, "reveal", key(), "approval_state", "pending");
      await refused(laptop, id, "reveal", key(), "forbidden");
      await refused(laptop, id, "complete", completion(), "forbidden");
      assert.equal((await laptop.api("POST", `/me/approval-requests/${id}/accept`, key())).status, 200);
      // accepted: by the laptop, so neither the laptop again nor the desk takes it
      await refused(laptop, id, "accept", key(), "approval_state", "accepted");
      await refused(desk, id, "accept", key(), "approval_state", "accepted");
      await refused(desk, id, "complete", completion(), "forbidden");
      await refused(laptop, id, "complete", completion(), "approval_state", "accepted");
      assert.equal((await phone.api("POST", `/me/approval-requests/${id}/reveal`, key())).status, 200);
      // revealed
      await refused(phone, id, "reveal", key(), "approval_state", "revealed");
      await refused(phone, id, "complete", completion(), "forbidden");
      await refused(laptop, id, "accept", key(), "approval_state", "revealed");
      // Any device of the user declines an open request (here one that could not approve it).
      const head = await streamHead(alice);
      const declined = await tablet.api("POST", `/me/approval-requests/${id}/decline`);
      assert.equal(declined.status, 200, JSON.stringify(declined.body));
      assert.equal(declined.body.state, "declined");
      assert.deepEqual(
        (await approvalItems(alice, head)).map((i) => i.data),
        [{ requestId: id, deviceId: phone.deviceId, state: "declined" }],
      );
      assert.deepEqual(await lastAudit("device.approval.declined"), {
        actor: tablet.deviceId,
        target: phone.deviceId,
        details: { requestId: id, cancelled: false },
      });
      // declined
      await refused(laptop, id, "complete", completion(), "approval_state", "declined");
      await refused(phone, id, "decline", undefined, "approval_state", "declined");
      await refused(phone, id, "reveal", key(), "approval_state", "declined");
      assert.equal(await stateOf(id), "declined");
      // Once approved, a request takes no further step either.
      const done = await create(phone);
      assert.equal((await laptop.api("POST", `/me/approval-requests/${done}/accept`, key())).status, 200);
      assert.equal((await phone.api("POST", `/me/approval-requests/${done}/reveal`, key())).status, 200);
      assert.equal((await laptop.api("POST", `/me/approval-requests/${done}/complete`, completion())).status, 200);
      await refused(phone, done, "decline", undefined, "approval_state", "approved");
      await refused(laptop, done, "complete", completion(), "approval_state", "approved");
    });

    it("lets one of two devices accepting at once win; the other is told the state it lost to", async () => {
      const id = await create(tablet);
      const [a, b] = await Promise.all([laptop, desk].map((d) => d.api("POST", `/me/approval-requests/${id}/accept`, key())));
      assert.deepEqual([a!.status, b!.status].sort(), [200, 409]);
      const lost = a!.status === 409 ? a! : b!;
      assert.deepEqual([lost.body.code, lost.body.details], ["approval_state", { state: "accepted" }]);
      assert.equal((await approvalItems(alice, 0)).filter((i) => i.data.requestId === id && i.data.state === "accepted").length, 1);
      await tablet.api("POST", `/me/approval-requests/${id}/decline`);
    });

    it("lets the device that asked cancel, and replaces its open request when it asks again", async () => {
      const first = await create(tablet);
      const head = await streamHead(alice);
      const second = await create(tablet);
      assert.equal(await stateOf(first), "declined");
      assert.deepEqual(
        (await laptop.api("GET", "/me/approval-requests")).body.requests.map((r: { id: string }) => r.id),
        [second],
      );
      assert.deepEqual(
        (await approvalItems(alice, head)).map((i) => [i.kind, i.data]),
        [
          ["approval.updated", { requestId: first, deviceId: tablet.deviceId, state: "declined" }],
          ["approval.requested", { requestId: second, deviceId: tablet.deviceId, deviceName: "tablet" }],
        ],
      );
      assert.deepEqual(await lastAudit("device.approval.declined"), {
        actor: tablet.deviceId,
        target: tablet.deviceId,
        details: { requestId: first, cancelled: true },
      });

      const cancelled = await tablet.api("POST", `/me/approval-requests/${second}/decline`);
      assert.equal(cancelled.body.state, "declined");
      assert.deepEqual((await lastAudit("device.approval.declined")).details, { requestId: second, cancelled: true });
      assert.deepEqual((await laptop.api("GET", "/me/approval-requests")).body, { requests: [] });
      // Asking again drops the device's closed requests.
      const third = await create(tablet);
      for (const gone of [first, second]) assert.equal((await tablet.api("GET", `/me/approval-requests/${gone}`)).status, 404);
      assert.equal(await stateOf(third), "pending");
      await tablet.api("POST", `/me/approval-requests/${third}/decline`);
    });

    it("ends a device's open requests when it approves itself", async () => {
      const spare = await bindDevice(await newDevice(s, alice, "spare"));
      const id = await create(spare);
      const head = await streamHead(alice);
      const ok = await spare.api("PUT", "/me/approval", { signature: approvalSignature(mine.identity.privateKey, alice, spare.deviceId, spare.signatureKey!) });
      assert.equal(ok.status, 200);
      assert.equal(await stateOf(id), "declined");
      assert.deepEqual(
        (await approvalItems(alice, head)).map((i) => i.data),
        [
          { requestId: id, deviceId: spare.deviceId, state: "declined" },
          { requestId: null, deviceId: spare.deviceId, state: "approved" },
        ],
      );
    });

    it("expires an open request after APPROVAL_LIMITS.ttlMs", async () => {
      const id = await create(tablet);
      assert.equal((await laptop.api("POST", `/me/approval-requests/${id}/accept`, key())).status, 200);
      const realNow = s.deps.now;
      try {
        s.deps.now = () => realNow() + APPROVAL_LIMITS.ttlMs - 5_000;
        assert.equal(await stateOf(id), "accepted");
        s.deps.now = () => realNow() + APPROVAL_LIMITS.ttlMs + 1_000;
        assert.equal(await stateOf(id), "expired");
        assert.deepEqual((await laptop.api("GET", "/me/approval-requests")).body, { requests: [] });
        await refused(tablet, id, "reveal", key(), "approval_state", "expired");
        await refused(laptop, id, "decline", undefined, "approval_state", "expired");
        // The device asks again: the expired request is dropped.
        const again = await create(tablet);
        assert.equal((await laptop.api("GET", `/me/approval-requests/${id}`)).status, 404);
        assert.equal(await stateOf(again), "pending");
        await tablet.api("POST", `/me/approval-requests/${again}/decline`);
      } finally {
        s.deps.now = realNow;
      }
    });

    it("shows a user's requests to that user's devices only: another user's or org's id is not found", async () => {
      const id = await create(tablet);
      const bobs = await create(bob);
      for (const u of [bob, other]) {
        const before = await counts();
        assert.equal((await u.api("GET", `/me/approval-requests/${id}`)).status, 404);
        for (const [step, body] of [
          ["accept", key()],
          ["reveal", key()],
          ["complete", completion()],
          ["decline", undefined],
        ] as const) {
          const r = await u.api("POST", `/me/approval-requests/${id}/${step}`, body);
          assert.equal(r.status, 404, `${step}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.code, "not_found");
        }
        const mineOnly = (await u.api("GET", "/me/approval-requests")).body.requests.map((r: { id: string }) => r.id);
        assert.deepEqual(mineOnly, u === bob ? [bobs] : []);
        assert.deepEqual(await counts(), before);
      }
      // Alice's approved laptop cannot take Bob's request either.
      assert.equal((await laptop.api("POST", `/me/approval-requests/${bobs}/accept`, key())).status, 404);
      assert.equal((await laptop.api("GET", "/me/approval-requests/apr_unknown")).status, 404);
      assert.equal(await stateOf(id), "pending");
      assert.equal((await bob.api("GET", `/me/approval-requests/${bobs}`)).body.state, "pending");
    });

    it("refuses malformed input with validation_failed, writing nothing", async () => {
      const id = await create(tablet);
      const before = await counts();
      const bad = async (method: string, path: string, body: unknown) => {
        const r = await tablet.api(method, path, body);
        assert.equal(r.status, 400, `${path} ${JSON.stringify(body)?.slice(0, 80)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, "validation_failed");
      };
      for (const commitment of ["not base64!", random(31), random(33), "", undefined]) await bad("POST", "/me/approval-requests", { commitment });
      for (const publicKey of [random(31), random(33), "%%%%"]) {
        await bad("POST", `/me/approval-requests/${id}/accept`, { publicKey });
        await bad("POST", `/me/approval-requests/${id}/reveal`, { publicKey });
      }
      const good = completion();
      for (const body of [
        { ...good, sealed: "" },
        { ...good, sealed: random(APPROVAL_LIMITS.sealedBytes + 1) },
        { ...good, signature: random(63) },
        { ...good, signature: random(65) },
        { sealed: good.sealed },
      ])
        await bad("POST", `/me/approval-requests/${id}/complete`, body);
      for (const signature of [random(63), "not base64", undefined]) await bad("PUT", "/me/approval", { signature });
      await bad("GET", "/me/approval-requests/not.an.id", undefined);
      assert.deepEqual(await counts(), before);
      assert.equal(await stateOf(id), "pending");
    });
  });
}
