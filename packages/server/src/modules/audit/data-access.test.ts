/**
 * Admin reads of user data, file deletions and exports write their audit entries in
 * their own transaction: an admin listing someone's devices (`user.devices.read`), files
 * deleted with their message or swept as expired uploads (`file.deleted`), an audit
 * export (`audit.exported`). Refused or failed ones leave none. (`audit.read`: read.test.ts.)
 */
import test from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { PassThrough, Writable } from "node:stream";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeUser } from "../../testing/factories.ts";
import { uploadFile } from "../../testing/files.ts";
import { sweepUnlinkedUploads, UNLINKED_UPLOAD_TTL_MS } from "../files/gc.ts";
import { exportAuditLog, verifyAuditDatabase } from "./index.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

for (const dialect of DIALECTS) {
  test(`admin reads of devices, file deletions and exports are audited; refusals are not (${dialect})`, { timeout: 120_000 }, async (t) => {
    const s = await startTestServer({ dialect });
    try {
      const owner = await bootstrapOrg(s, { orgSlug: "records" });
      const orgId = owner.org.id;
      const bob = await makeUser(s, owner, { username: "bob" });
      const carol = await makeUser(s, owner, { username: "carol" });
      const ch = (await owner.api("POST", "/channels", { kind: "private", name: "files", members: [bob.user.id, carol.user.id] })).body;
      let seen = 0;
      /** The entries appended since the last call. */
      const fresh = async () => {
        const rows = await s.deps.db.selectFrom("audit_log").selectAll().where("org_id", "=", orgId).where("seq", ">", seen).orderBy("seq").execute();
        if (rows.length) seen = Number(rows[rows.length - 1]!.seq);
        return rows;
      };
      await fresh();
      const send = (u: typeof owner, body: Record<string, unknown>) =>
        u.api("POST", `/channels/${ch.id}/events`, {
          clientId: `c-${crypto.randomBytes(6).toString("hex")}`,
          kind: "message",
          content: b64("ciphertext"),
          ...body,
        });

      await t.test("an admin listing a user's devices is recorded; the user's own look and refusals are not", async () => {
        const r = await owner.api("GET", `/users/${bob.user.id}/devices`);
        assert.equal(r.status, 200);
        const [e, ...more] = await fresh();
        assert.deepEqual(more, []);
        assert.deepEqual(
          [e!.action, e!.actor_kind, e!.actor_id, e!.actor_device_id, e!.target_kind, e!.target_id, JSON.parse(e!.details)],
          ["user.devices.read", "device", owner.user.id, owner.tokens.deviceId, "user", bob.user.id, { devices: 1 }],
        );
        assert.equal((await bob.api("GET", `/users/${bob.user.id}/devices`)).status, 200);
        assert.equal((await carol.api("GET", `/users/${bob.user.id}/devices`)).status, 403);
        assert.equal((await owner.api("GET", "/users/usr_nobody/devices")).status, 404);
        assert.deepEqual(await fresh(), []);
      });

      await t.test("files deleted with their message are recorded per file, by whoever deleted it; a refused delete is not", async () => {
        const ids = [await uploadFile(s, bob, ch.id, crypto.randomBytes(100)), await uploadFile(s, bob, ch.id, crypto.randomBytes(10))];
        const msg = await send(bob, { files: ids });
        assert.equal(msg.status, 200);
        await fresh();
        assert.equal((await send(carol, { kind: "delete", target: msg.body.event.seq })).status, 403, "a member may not delete another's message");
        assert.deepEqual(await fresh(), []);
        // The owner moderates: an org admin may delete others' messages.
        assert.equal((await send(owner, { kind: "delete", target: msg.body.event.seq })).status, 200);
        const rows = await fresh();
        assert.deepEqual(
          rows.map((e) => [e.action, e.actor_id, e.actor_device_id, e.target_kind, e.target_id, JSON.parse(e.details)]).sort(),
          ids
            .map((id) => [
              "file.deleted",
              owner.user.id,
              owner.tokens.deviceId,
              "file",
              id,
              { channelId: ch.id, eventSeq: msg.body.event.seq, reason: "message_deleted" },
            ])
            .sort(),
        );
        const plain = await send(bob, {});
        await send(bob, { kind: "delete", target: plain.body.event.seq });
        assert.deepEqual(await fresh(), [], "deleting a message without files deletes no file");
      });

      await t.test("the GC's deletions of expired uploads are recorded by the system; a sweep with nothing to do records nothing", async () => {
        const stale = await uploadFile(s, carol, ch.id, crypto.randomBytes(10));
        await fresh();
        assert.deepEqual(await sweepUnlinkedUploads(s.deps, { now: Date.now() + UNLINKED_UPLOAD_TTL_MS - 60_000 }), []);
        assert.deepEqual(await fresh(), []);
        assert.deepEqual(await sweepUnlinkedUploads(s.deps, { now: Date.now() + UNLINKED_UPLOAD_TTL_MS + 1000 }), [stale]);
        const rows = await fresh();
        assert.deepEqual(
          rows.map((e) => [e.action, e.actor_kind, e.actor_id, e.target_id, JSON.parse(e.details)]),
          [["file.deleted", "system", null, stale, { channelId: ch.id, uploaderId: carol.user.id, reason: "upload_expired" }]],
        );
        assert.deepEqual(await sweepUnlinkedUploads(s.deps, { now: Date.now() + UNLINKED_UPLOAD_TTL_MS + 1000 }), []);
        assert.deepEqual(await fresh(), []);
      });

      await t.test("an export is recorded per exported org, after it is written; a failed export is not", async () => {
        const broken = new Writable({
          write(_chunk, _enc, cb) {
            cb(new Error("disk full"));
          },
        });
        broken.on("error", () => undefined);
        await assert.rejects(exportAuditLog(s.deps, broken, { orgIds: [orgId] }));
        assert.deepEqual(await fresh(), []);
        const out = new PassThrough();
        const lines: string[] = [];
        out.on("data", (c: Buffer) => lines.push(c.toString()));
        const summary = await exportAuditLog(s.deps, out, { orgIds: [orgId], sinceMs: 0 });
        const rows = await fresh();
        assert.deepEqual(
          rows.map((e) => [e.action, e.actor_kind, e.target_kind, e.target_id, JSON.parse(e.details)]),
          [["audit.exported", "system", "org", orgId, { format: "jsonl", since: 0, entries: summary.entries, lastSeq: rows[0]!.seq - 1 }]],
        );
        assert.ok(!lines.join("").includes("audit.exported"), "the export does not contain its own record");
      });

      assert.deepEqual((await verifyAuditDatabase(s.deps.db)).problems, []);
    } finally {
      await s.stop();
    }
  });
}
