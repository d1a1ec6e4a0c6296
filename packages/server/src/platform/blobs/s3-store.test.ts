/**
 * The S3-compatible blob store against a real S3 server process (s3rver on 127.0.0.1): the
 * same contract as the filesystem store (appends at the acknowledged offset, leftovers of an
 * unacknowledged append discarded, oversize appends keep nothing, ranges across segments),
 * and two nodes on one PostgreSQL database sharing the bucket: a file uploaded through one
 * is downloaded through the other.
 */
import test from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { Readable } from "node:stream";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { parseBlobUrl, s3BlobStore } from "./s3-store.ts";
import { BlobBusyError, BlobOffsetError, BlobTooLargeError } from "./blob-store.ts";
import { startTestS3 } from "../../testing/s3.ts";
import { createTestDatabase, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeUser } from "../../testing/factories.ts";
import { fetchFile, uploadFile } from "../../testing/files.ts";

const bytes = (s: string | Buffer) => Readable.from([Buffer.from(s)]);
async function all(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

test("S3 blob store: appends, resumes, ranges across segments, oversize and busy appends, delete", { timeout: 120_000 }, async (t) => {
  const s3 = await startTestS3();
  t.after(() => s3.stop());
  const loc = parseBlobUrl(s3.blobUrl("node-a"));
  assert.deepEqual([loc.bucket, loc.prefix, loc.forcePathStyle, loc.credentials?.accessKeyId], ["parley-test", "node-a/", true, "S3RVER"]);
  const store = s3BlobStore(loc);
  t.after(() => store.close?.());

  assert.equal(await store.size("fil_abc"), undefined);
  await assert.rejects(store.append("fil_abc", 0, bytes("x"), 10), { code: "ENOENT" });
  await store.create("fil_abc");
  await store.create("fil_abc"); // idempotent
  assert.equal(await store.size("fil_abc"), 0);
  assert.equal(await store.append("fil_abc", 0, bytes("hello "), 100), 6);
  assert.equal(await store.append("fil_abc", 6, Readable.from([Buffer.from("wor"), Buffer.from("ld")]), 100), 11);
  assert.equal((await all(await store.read("fil_abc"))).toString(), "hello world");
  assert.equal((await all(await store.read("fil_abc", { start: 4, end: 7 }))).toString(), "o wo", "a range across two segments");
  await assert.rejects(store.append("fil_abc", 20, bytes("x"), 100), (e) => e instanceof BlobOffsetError && e.current === 11);

  // A segment left past the acknowledged offset (a node died before the database recorded it) is discarded.
  const raw = new S3Client({ region: "us-east-1", forcePathStyle: true, endpoint: loc.endpoint!, credentials: loc.credentials! });
  t.after(() => raw.destroy());
  await raw.send(new PutObjectCommand({ Bucket: loc.bucket, Key: `node-a/fil_abc/s${"11".padStart(16, "0")}`, Body: Buffer.from("GARBAGE") }));
  assert.equal(await store.size("fil_abc"), 18, "the leftover looks appended until the next append at the acknowledged offset");
  assert.equal(await store.append("fil_abc", 11, bytes("!"), 100), 12);
  assert.equal((await all(await store.read("fil_abc"))).toString(), "hello world!");

  await assert.rejects(store.append("fil_abc", 12, Readable.from([Buffer.from("12345"), Buffer.from("6789")]), 8), BlobTooLargeError);
  assert.equal(await store.size("fil_abc"), 12, "an oversize append keeps nothing");

  const slow = new Readable({ read() {} });
  const first = store.append("fil_abc", 12, slow, 100);
  slow.push(Buffer.from("a"));
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(store.append("fil_abc", 12, bytes("b"), 100), BlobBusyError);
  slow.push(null);
  assert.equal(await first, 13);

  // More than one segment object in one append (segments are 8 MiB), and a range across the boundary.
  const big = crypto.randomBytes(9 * 1048576 + 123);
  await store.create("fil_big");
  assert.equal(await store.append("fil_big", 0, Readable.from([big.subarray(0, 5e6), big.subarray(5e6)]), big.length), big.length);
  assert.ok((await all(await store.read("fil_big"))).equals(big));
  const r = { start: 8 * 1048576 - 10, end: 8 * 1048576 + 9 };
  assert.ok((await all(await store.read("fil_big", r))).equals(big.subarray(r.start, r.end + 1)));

  assert.deepEqual(await store.list(), ["fil_abc", "fil_big"]);
  await store.delete("fil_abc");
  await store.delete("fil_abc");
  assert.equal(await store.size("fil_abc"), undefined);
  await assert.rejects(store.read("fil_abc"), { code: "ENOENT" });
  assert.deepEqual(await store.list(), ["fil_big"]);
  for (const bad of ["../etc/passwd", "a/b", ""]) await assert.rejects(store.create(bad), /invalid blob id/);
});

test("two nodes sharing an S3 bucket: a file uploaded through one downloads through the other", { timeout: 120_000 }, async (t) => {
  const s3 = await startTestS3();
  t.after(() => s3.stop());
  const database = await createTestDatabase("postgres");
  const config = { blobUrl: s3.blobUrl("shared") };
  const a = await startTestServer({ database, config });
  const b = await startTestServer({ database, config });
  t.after(async () => {
    await a.close();
    await b.stop();
    await database.drop();
  });
  const owner = await bootstrapOrg(a);
  const member = await makeUser(a, owner);
  const ch = (await owner.api("POST", "/channels", { kind: "private", name: "shared-files", members: [member.user.id] })).body;
  const data = crypto.randomBytes(300_000);
  const id = await uploadFile(a, owner, ch.id, data, 100_000);
  const got = await fetchFile(b, member, id);
  assert.equal(got.status, 200);
  assert.ok(got.bytes.equals(data), "node B serves the bytes node A stored");
  assert.deepEqual(await b.deps.blobs.list(), [id]);
});
