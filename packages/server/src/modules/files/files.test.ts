/**
 * Attachments over real HTTP on SQLite and PostgreSQL: chunked resumable
 * upload, byte-identical download, Range, size limits, membership and org
 * isolation, attaching to messages, deletion with the message, and the GC
 * sweep of unattached uploads.
 */
import test from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { blobDirOfServer, fetchFile, patchChunk, uploadFile } from "../../testing/files.ts";
import { sweepUnlinkedUploads, UNLINKED_UPLOAD_TTL_MS } from "./gc.ts";

const FILE_LIMIT = 4 << 20;
const rnd = () => crypto.randomBytes(4).toString("hex");
const b64 = (s: string) => Buffer.from(s).toString("base64");

async function blobExists(server: TestServer, fileId: string): Promise<boolean> {
  return (
    (await server.deps.blobs.list()).includes(fileId) &&
    fs.readdirSync(blobDirOfServer(server), { recursive: true }).some((f) => path.basename(String(f)) === fileId)
  );
}

async function send(user: TestUser, channelId: string, extra: Record<string, unknown> = {}) {
  return user.api("POST", `/channels/${channelId}/events`, { clientId: `c-${rnd()}-${rnd()}`, kind: "message", content: b64("ciphertext"), ...extra });
}

for (const dialect of DIALECTS) {
  test(`attachments (${dialect})`, { timeout: 120_000 }, async (t) => {
    const server = await startTestServer({ dialect, config: { fileLimit: FILE_LIMIT } });
    try {
      const owner = await bootstrapOrg(server);
      const member = await makeUser(server, owner);
      const outsider = await makeUser(server, owner);
      const other = await makeOrg(server);
      const ch = (await owner.api("POST", "/channels", { kind: "private", name: `files-${rnd()}`, members: [member.user.id] })).body;
      const pub = (await owner.api("POST", "/channels", { kind: "public", name: `pub-${rnd()}` })).body;

      await t.test("several PATCHes (each above the JSON body limit), then a byte-identical download (application/octet-stream, nosniff)", async () => {
        const data = crypto.randomBytes(3_000_000);
        const created = await owner.api("POST", `/channels/${ch.id}/files`, { size: data.length });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.deepEqual(
          { uploaded: created.body.uploaded, complete: created.body.complete, size: created.body.size },
          { uploaded: 0, complete: false, size: data.length },
        );
        assert.ok(created.body.chunkSize > 0);
        const id = created.body.fileId;
        let off = 0;
        for (const n of [1_300_000, 1_300_000, 400_000]) {
          const r = await patchChunk(server, owner, id, off, data.subarray(off, off + n));
          assert.equal(r.status, 200, JSON.stringify(r.body));
          off += n;
          assert.equal(r.body.uploaded, off);
          assert.equal(r.body.complete, off === data.length);
        }
        const status = await member.api("GET", `/files/${id}/status`);
        assert.deepEqual(
          { uploaded: status.body.uploaded, complete: status.body.complete, eventSeq: status.body.eventSeq },
          { uploaded: data.length, complete: true, eventSeq: null },
        );
        const got = await fetchFile(server, member, id);
        assert.equal(got.status, 200);
        assert.equal(got.headers.get("content-type"), "application/octet-stream");
        assert.equal(got.headers.get("x-content-type-options"), "nosniff");
        assert.equal(got.headers.get("content-length"), String(data.length));
        assert.ok(got.bytes.equals(data), "downloaded bytes differ");
      });

      await t.test("a wrong Upload-Offset gets 409 with the offset to resume from", async () => {
        const data = crypto.randomBytes(5000);
        const id = (await owner.api("POST", `/channels/${ch.id}/files`, { size: data.length })).body.fileId;
        assert.equal((await patchChunk(server, owner, id, 0, data.subarray(0, 2000))).status, 200);
        // A client that lost the ack resends the first chunk: rejected, nothing changes.
        const dup = await patchChunk(server, owner, id, 0, data.subarray(0, 2000));
        assert.equal(dup.status, 409);
        assert.equal(dup.body.code, "upload_offset_mismatch");
        assert.equal(dup.body.details.offset, 2000);
        const ahead = await patchChunk(server, owner, id, 4000, data.subarray(4000));
        assert.equal(ahead.status, 409);
        const missingHeader = await fetch(`${server.url}/api/v1/files/${id}`, {
          method: "PATCH",
          body: data,
          headers: { authorization: `Bearer ${owner.accessToken}`, "content-type": "application/octet-stream" },
        });
        assert.equal(missingHeader.status, 400);
        const json = await owner.api("PATCH", `/files/${id}`, { bytes: "nope" });
        assert.equal(json.status, 400, "a JSON body is not a chunk");
        assert.equal((await patchChunk(server, owner, id, dup.body.details.offset, data.subarray(dup.body.details.offset))).status, 200);
        assert.ok((await fetchFile(server, owner, id)).bytes.equals(data));
      });

      await t.test("Range requests get 206 with Content-Range; unsatisfiable ones 416", async () => {
        const data = crypto.randomBytes(1000);
        const id = await uploadFile(server, owner, ch.id, data, 300);
        const mid = await fetchFile(server, member, id, "bytes=100-199");
        assert.equal(mid.status, 206);
        assert.equal(mid.headers.get("content-range"), "bytes 100-199/1000");
        assert.ok(mid.bytes.equals(data.subarray(100, 200)));
        const open = await fetchFile(server, member, id, "bytes=990-");
        assert.ok(open.bytes.equals(data.subarray(990)));
        const suffix = await fetchFile(server, member, id, "bytes=-10");
        assert.equal(suffix.headers.get("content-range"), "bytes 990-999/1000");
        assert.ok(suffix.bytes.equals(data.subarray(990)));
        const beyond = await fetchFile(server, member, id, "bytes=1000-");
        assert.equal(beyond.status, 416);
        assert.equal(beyond.error.code, "range_not_satisfiable");
      });

      await t.test("oversize: above the limit or past the declared size is 413 and nothing is kept", async () => {
        const files = await countRows(server, "files");
        const big = await owner.api("POST", `/channels/${ch.id}/files`, { size: FILE_LIMIT + 1 });
        assert.equal(big.status, 413);
        assert.equal(big.body.code, "payload_too_large");
        assert.equal(await countRows(server, "files"), files);

        const id = (await owner.api("POST", `/channels/${ch.id}/files`, { size: 1000 })).body.fileId;
        assert.equal((await patchChunk(server, owner, id, 0, crypto.randomBytes(400))).status, 200);
        const over = await patchChunk(server, owner, id, 400, crypto.randomBytes(601));
        assert.equal(over.status, 413);
        assert.equal(over.body.code, "payload_too_large");
        // Streamed without Content-Length: cut off while streaming, still nothing kept.
        const chunks = [crypto.randomBytes(500), crypto.randomBytes(500)];
        const streamed = await fetch(`${server.url}/api/v1/files/${id}`, {
          method: "PATCH",
          duplex: "half",
          headers: { authorization: `Bearer ${owner.accessToken}`, "content-type": "application/octet-stream", "upload-offset": "400" },
          body: new ReadableStream({
            pull(c) {
              const next = chunks.shift();
              if (next) c.enqueue(next);
              else c.close();
            },
          }),
        } as RequestInit);
        assert.equal(streamed.status, 413);
        assert.equal((await owner.api("GET", `/files/${id}/status`)).body.uploaded, 400);
        assert.equal(await server.deps.blobs.size(id), 400);
      });

      await t.test("only uploads that are complete, yours and in this channel can be attached, once", async () => {
        const partial = (await owner.api("POST", `/channels/${ch.id}/files`, { size: 100 })).body.fileId;
        assert.equal((await patchChunk(server, owner, partial, 0, crypto.randomBytes(50))).status, 200);
        const events = await countRows(server, "events");
        const r = await send(owner, ch.id, { files: [partial] });
        assert.equal(r.status, 400);
        assert.match(r.body.message, /incomplete/);
        const mine = await uploadFile(server, owner, ch.id, crypto.randomBytes(100));
        const byMember = await send(member, ch.id, { files: [mine] });
        assert.equal(byMember.status, 400, "another member's upload");
        const elsewhere = await send(owner, pub.id, { files: [mine] });
        assert.equal(elsewhere.status, 400, "an upload of another channel");
        const reaction = await send(owner, ch.id, { kind: "reaction", target: 1, files: [mine] });
        assert.equal(reaction.status, 400);
        assert.equal(await countRows(server, "events"), events, "rejected sends wrote events");
        const ok = await send(owner, ch.id, { files: [mine] });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.deepEqual(ok.body.event.files, [mine]);
        assert.equal((await owner.api("GET", `/files/${mine}/status`)).body.eventSeq, ok.body.event.seq);
        const listed = await member.api("GET", `/channels/${ch.id}/events?after=${ok.body.event.seq - 1}`);
        assert.deepEqual(listed.body.events[0].files, [mine]);
        const again = await send(owner, ch.id, { files: [mine] });
        assert.equal(again.status, 400);
        assert.match(again.body.message, /already attached/);
      });

      await t.test("non-members and other orgs get 404; archived channels refuse uploads", async () => {
        const id = await uploadFile(server, owner, ch.id, crypto.randomBytes(100));
        for (const who of [outsider, other]) {
          assert.equal((await who.api("GET", `/files/${id}/status`)).status, 404);
          assert.equal((await fetchFile(server, who, id)).status, 404);
          assert.equal((await patchChunk(server, who, id, 100, Buffer.alloc(0))).status, 404);
        }
        assert.equal((await other.api("POST", `/channels/${ch.id}/files`, { size: 10 })).status, 404);
        assert.equal((await outsider.api("POST", `/channels/${ch.id}/files`, { size: 10 })).status, 404);
        const partial = (await member.api("POST", `/channels/${ch.id}/files`, { size: 10 })).body.fileId;
        assert.equal((await patchChunk(server, owner, partial, 0, Buffer.alloc(5))).status, 403, "only the uploader appends");
        assert.equal((await owner.api("POST", `/channels/${ch.id}/archive`)).status, 200);
        const archived = await owner.api("POST", `/channels/${ch.id}/files`, { size: 10 });
        assert.equal(archived.status, 409);
        assert.equal(archived.body.code, "channel_archived");
        assert.equal((await patchChunk(server, member, partial, 0, Buffer.alloc(5))).body.code, "channel_archived");
        assert.equal((await fetchFile(server, member, id)).status, 200, "archived channels stay readable");
        assert.equal((await owner.api("POST", `/channels/${ch.id}/unarchive`)).status, 200);
      });

      await t.test("deleting a message deletes its files: blob gone from the blob dir, GET 404", async () => {
        const ids = [await uploadFile(server, owner, ch.id, crypto.randomBytes(3000)), await uploadFile(server, owner, ch.id, crypto.randomBytes(10))];
        const msg = await send(owner, ch.id, { files: ids });
        assert.equal(msg.status, 200);
        for (const id of ids) assert.ok(await blobExists(server, id));
        const del = await send(member, ch.id, { kind: "reaction", target: msg.body.event.seq });
        assert.equal(del.status, 200);
        assert.equal((await send(owner, ch.id, { kind: "delete", target: msg.body.event.seq })).status, 200);
        // Blobs go after the commit, right behind the ack.
        for (let i = 0; i < 50 && (await server.deps.blobs.list()).some((b) => ids.includes(b)); i++) await new Promise((r) => setTimeout(r, 20));
        for (const id of ids) {
          assert.equal(await blobExists(server, id), false, `blob ${id} still on disk`);
          assert.equal((await fetchFile(server, owner, id)).status, 404);
          assert.equal((await owner.api("GET", `/files/${id}/status`)).status, 404);
        }
      });

      await t.test("the GC sweep removes unattached uploads older than 24 h, and only those", async () => {
        const stale = await uploadFile(server, owner, ch.id, crypto.randomBytes(10));
        const partial = (await owner.api("POST", `/channels/${ch.id}/files`, { size: 10 })).body.fileId;
        const kept = await uploadFile(server, owner, ch.id, crypto.randomBytes(10));
        assert.equal((await send(owner, ch.id, { files: [kept] })).status, 200);
        const soon = await sweepUnlinkedUploads(server.deps, { now: Date.now() + UNLINKED_UPLOAD_TTL_MS - 60_000 });
        assert.deepEqual(soon, []);
        const later = await sweepUnlinkedUploads(server.deps, { now: Date.now() + UNLINKED_UPLOAD_TTL_MS + 1000, batch: 1000 });
        assert.ok(later.includes(stale) && later.includes(partial) && !later.includes(kept));
        assert.equal(await blobExists(server, stale), false);
        assert.equal(await blobExists(server, partial), false);
        assert.equal(await blobExists(server, kept), true);
        assert.equal((await send(owner, ch.id, { files: [stale] })).status, 400, "a swept upload cannot be attached");
        assert.equal((await fetchFile(server, owner, kept)).status, 200);
      });
    } finally {
      await server.stop();
    }
  });
}
