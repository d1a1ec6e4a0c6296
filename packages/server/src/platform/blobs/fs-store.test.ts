/**
 * The filesystem blob store on a real directory: appends at the acknowledged
 * offset only, leftovers of an unacknowledged append discarded, oversize
 * appends keep nothing, ranges, and ids that are not server ids refused.
 */
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { fsBlobStore } from "./fs-store.ts";
import { BlobBusyError, BlobOffsetError, BlobTooLargeError } from "./blob-store.ts";

const bytes = (s: string) => Readable.from([Buffer.from(s)]);
async function text(r: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

test("filesystem blob store", async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "parley-blobs-"));
  const store = fsBlobStore(root);
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));

  await store.create("fil_abc");
  assert.equal(await store.size("fil_abc"), 0);
  assert.equal(await store.append("fil_abc", 0, bytes("hello "), 100), 6);
  assert.equal(await store.append("fil_abc", 6, Readable.from([Buffer.from("wor"), Buffer.from("ld")]), 100), 11);
  assert.equal(await text(await store.read("fil_abc")), "hello world");
  assert.equal(await text(await store.read("fil_abc", { start: 6, end: 8 })), "wor");

  await assert.rejects(store.append("fil_abc", 20, bytes("x"), 100), (e) => e instanceof BlobOffsetError && e.current === 11);
  // Bytes past the acknowledged offset (a crash mid-append) are cut before appending.
  fs.appendFileSync(path.join(root, "bc", "fil_abc"), "GARBAGE");
  assert.equal(await store.append("fil_abc", 11, bytes("!"), 100), 12);
  assert.equal(await text(await store.read("fil_abc")), "hello world!");

  await assert.rejects(store.append("fil_abc", 12, Readable.from([Buffer.from("12345"), Buffer.from("6789")]), 8), BlobTooLargeError);
  assert.equal(await store.size("fil_abc"), 12, "an oversize append keeps nothing");

  // One append per blob at a time.
  const slow = new Readable({ read() {} });
  const first = store.append("fil_abc", 12, slow, 100);
  slow.push(Buffer.from("a"));
  await new Promise((r) => setTimeout(r, 20));
  await assert.rejects(store.append("fil_abc", 12, bytes("b"), 100), BlobBusyError);
  slow.push(null);
  assert.equal(await first, 13);

  assert.deepEqual(await store.list(), ["fil_abc"]);
  await store.delete("fil_abc");
  await store.delete("fil_abc");
  assert.equal(await store.size("fil_abc"), undefined);
  assert.deepEqual(await store.list(), []);
  await assert.rejects(store.read("fil_abc"), { code: "ENOENT" });

  for (const bad of ["../etc/passwd", "a/b", "", "x".repeat(81)]) await assert.rejects(store.create(bad), /invalid blob id/);
});
