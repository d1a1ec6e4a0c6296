/**
 * Archive copies on events (ADR 0007): stored beside the content, returned by every read
 * (REST pages, the gateway's live and replay frames, the bus outbox's expansion), and
 * refused with `archive_invalid` — nothing written — when their framing, the event's kind
 * or the channel's history policy does not allow them, or (content checked as MLS) when a
 * channel that keeps them gets content without one.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { encrypt, historyKey, openArchiveCopy, sealArchiveCopy } from "@parley/crypto";
import type { Event } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeUser, type TestUser } from "../../testing/factories.ts";
import { addUsers, b64, groupOf, initChannel, mlsClient } from "../../testing/mls-clients.ts";
import { connectUser } from "../../gateway/test-client.ts";
import { channelEventOutbox } from "../timeline/events.ts";

let n = 0;
const cid = () => `archive-${process.pid}-${++n}`;

/** Framing-only archive copy bytes: version ‖ u64 epoch ‖ u32 generation ‖ nonce ‖ ciphertext ‖ signature (random). */
function framing(epoch: number, generation: number, opts: { ciphertext?: number; version?: number } = {}): Buffer {
  const b = Buffer.alloc(25 + (opts.ciphertext ?? 32) + 64);
  crypto.randomFillSync(b);
  b[0] = opts.version ?? 1;
  b.writeBigUInt64BE(BigInt(epoch), 1);
  b.writeUInt32BE(generation, 9);
  return b;
}

for (const dialect of DIALECTS) {
  describe(`archive copies (${dialect})`, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let ch: string;
    before(async () => {
      s = await startTestServer({ dialect, config: { messageLimit: 1024 } });
      alice = await bootstrapOrg(s);
      bob = await makeUser(s, alice);
      ch = (await alice.api("POST", "/channels", { kind: "public", name: "archived", members: [bob.user.id] })).body.id;
    });
    after(() => s.stop());
    const send = (u: TestUser, body: Record<string, unknown>, channelId = ch) =>
      u.api("POST", `/channels/${channelId}/events`, { clientId: cid(), kind: "message", content: b64(Buffer.from("hello")), epoch: 0, ...body });

    it("stores an archive copy beside the content and returns it from every read", async () => {
      const live = await connectUser(s.url, bob.accessToken);
      const archive = framing(0, 0).toString("base64");
      const r = await send(alice, { archive });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const ev: Event = r.body.event;
      assert.equal(ev.archive, archive);
      const stored = await s.deps.db.selectFrom("events").select("archive").where("id", "=", ev.id).executeTakeFirstOrThrow();
      assert.equal(Buffer.from(stored.archive!).toString("base64"), archive);
      assert.deepEqual((await bob.api("GET", `/channels/${ch}/events/by-client-id/${ev.clientId}`)).body, ev);
      assert.deepEqual((await bob.api("GET", `/channels/${ch}/events?after=${ev.seq - 1}`)).body.events[0], ev);
      assert.deepEqual((await bob.api("GET", `/channels/${ch}/events?before=${ev.seq + 1}&limit=1`)).body.events[0], ev);
      // A reaction carries one too; an event without one shows no field.
      const reaction = await send(bob, { kind: "reaction", target: ev.seq, archive });
      assert.equal(reaction.body.event.archive, archive);
      const plain = (await send(alice, {})).body.event;
      assert.equal("archive" in plain, false);

      // The gateway: the live frame, and a replay from the cursor.
      const frame = await live.waitFor((f) => f.t === "event" && f.event.seq === ev.seq);
      assert.deepEqual(frame.t === "event" && frame.event, ev);
      await live.close();
      const replay = await connectUser(s.url, bob.accessToken, { channels: { [ch]: ev.seq - 1 } });
      const synced = replay.of("sync").flatMap((f) => f.events);
      assert.deepEqual(
        synced.find((e) => e.seq === ev.seq),
        ev,
      );
      // The WebSocket send frame takes the same field.
      const clientId = cid();
      replay.send({ t: "send", ref: "r1", channelId: ch, clientId, kind: "message", content: b64(Buffer.from("ws")), epoch: 0, archive });
      const ack = await replay.waitFor((f) => f.t === "ack" || f.t === "error");
      assert.equal(ack.t, "ack", JSON.stringify(ack));
      assert.equal(ack.t === "ack" && ack.event.archive, archive);
      await replay.close();

      // The bus outbox keeps a reference (a run of one); expanding it reads the archive copy back from the row.
      const [expanded] = await channelEventOutbox.expand(s.deps.db, [channelEventOutbox.compact({ orgId: alice.org.id, event: ev })]);
      assert.deepEqual(expanded, [{ orgId: alice.org.id, event: ev }]);
    });

    it("refuses bad archive copies with archive_invalid and writes nothing", async () => {
      const deviceOnly = (await alice.api("POST", "/channels", { kind: "public", name: "no-archive", history: "device-only" })).body.id as string;
      const before = await countRows(s, "events");
      const refused = async (body: Record<string, unknown>, reason: string, channelId = ch) => {
        const r = await send(alice, body, channelId);
        assert.equal(r.status, 400, `${reason}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, "archive_invalid", reason);
        assert.equal(r.body.details.reason, reason);
        assert.match(r.body.message, /archive copy refused: /);
      };
      await refused({ archive: "" }, "truncated");
      await refused({ archive: framing(0, 0).subarray(0, 60).toString("base64") }, "truncated");
      await refused({ archive: framing(0, 0, { ciphertext: 0 }).subarray(1).toString("base64") }, "bad_version");
      await refused({ archive: framing(0, 0, { version: 2 }).toString("base64") }, "bad_version");
      await refused({ archive: framing(3, 0).toString("base64") }, "wrong_epoch");
      await refused({ archive: framing(0, 0, { ciphertext: 1024 }).toString("base64") }, "too_large");
      await refused({ archive: framing(0, 0).toString("base64"), epoch: undefined }, "epoch_missing");
      await refused({ kind: "commit", archive: framing(0, 0).toString("base64") }, "not_content");
      await refused({ kind: "reset", archive: framing(0, 0).toString("base64") }, "not_content");
      await refused({ archive: framing(0, 0).toString("base64") }, "device_only", deviceOnly);
      const badB64 = await send(alice, { archive: "not base64!" });
      assert.equal(badB64.status, 400);
      assert.equal(badB64.body.code, "validation_failed");
      assert.equal(await countRows(s, "events"), before);

      // In one group-commit batch, the refused send fails alone.
      const mixed = await Promise.all([
        send(alice, { archive: framing(0, 0).toString("base64") }),
        send(alice, { archive: framing(0, 0).toString("base64") }, deviceOnly),
        send(alice, {}, deviceOnly),
      ]);
      assert.deepEqual(
        mixed.map((r) => r.status),
        [200, 400, 200],
      );
      assert.equal(await countRows(s, "events"), before + 2);
    });

    it("takes `keys` events (past history keys for new members) without a copy, target, thread, mentions or files", async () => {
      const before = await countRows(s, "events");
      const keys = (body: Record<string, unknown>) => send(alice, { kind: "keys", ...body });
      const refusedAs = async (body: Record<string, unknown>, code: string) => {
        const r = await keys(body);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.code, code, JSON.stringify(r.body));
      };
      await refusedAs({ target: 1 }, "bad_request");
      await refusedAs({ threadRoot: 1 }, "bad_request");
      await refusedAs({ mentions: [bob.user.id] }, "bad_request");
      await refusedAs({ archive: framing(0, 0).toString("base64") }, "archive_invalid");
      assert.equal(await countRows(s, "events"), before, "nothing written");
      const unreadBefore = (await bob.api("GET", "/channels")).body.channels.find((c: { id: string }) => c.id === ch).unread;
      const ok = await keys({});
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.event.kind, "keys");
      const unreadAfter = (await bob.api("GET", "/channels")).body.channels.find((c: { id: string }) => c.id === ch).unread;
      assert.equal(typeof unreadBefore, "number");
      assert.equal(unreadAfter, unreadBefore, "a keys event is not unread");
    });

    it("checks a real archive copy's epoch and generation against the MLS message", { timeout: 60_000 }, async () => {
      const mls = await startTestServer({ dialect, config: { checkMlsFraming: true } });
      try {
        const owner = await bootstrapOrg(mls);
        const carol = await makeUser(mls, owner);
        const channelId = (await owner.api("POST", "/channels", { kind: "private", name: "mls-archive", members: [carol.user.id] })).body.id as string;
        const a = await mlsClient(owner);
        await mlsClient(carol);
        assert.equal((await initChannel(a, channelId)).status, 200);
        assert.equal((await addUsers(a, channelId, [carol.user.id])).res.status, 200);
        const group = groupOf(a, channelId);
        const payload = new TextEncoder().encode("kept for new devices");
        const content = b64(await encrypt(group, payload));
        const clientId = cid();
        const hk = await historyKey(group, channelId, 0);
        const archive = await sealArchiveCopy({ hk, payload, signer: a.identity, channelId, generation: 0, epoch: 1n, clientId });
        const post = (body: Record<string, unknown>) =>
          owner.api("POST", `/channels/${channelId}/events`, { clientId, kind: "message", content, epoch: 1, ...body });
        const before = await countRows(mls, "events");
        const wrongGeneration = await post({ archive: framing(1, 1).toString("base64") });
        assert.equal(wrongGeneration.body.details?.reason, "wrong_generation", JSON.stringify(wrongGeneration.body));
        const wrongEpoch = await post({ archive: framing(0, 0).toString("base64") });
        assert.equal(wrongEpoch.body.details?.reason, "wrong_epoch");
        // Where content must be MLS, a channel that keeps copies refuses content without one (its policy named).
        const missing = await post({});
        assert.equal(missing.status, 400);
        assert.equal(missing.body.code, "archive_invalid");
        assert.deepEqual(missing.body.details, { reason: "missing", history: "shared" });
        assert.equal(await countRows(mls, "events"), before);

        const ok = await post({ archive: b64(archive) });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        const ev: Event = ok.body.event;
        const opened = await openArchiveCopy({
          hk,
          bytes: Buffer.from(ev.archive!, "base64"),
          senderSignaturePublicKey: a.identity.signaturePublicKey,
          suite: "default",
          orgId: owner.org.id,
          channelId,
          generation: ev.generation,
          epoch: BigInt(ev.epoch),
          clientId: ev.clientId,
          senderDeviceId: ev.senderDeviceId,
        });
        assert.deepEqual(opened, payload);
      } finally {
        await mls.stop();
      }
    });
  });
}
