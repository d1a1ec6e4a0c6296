/**
 * The backup file's encrypted stream on its own: a round trip of several blocks, and each
 * way a file can go wrong — a flipped byte, blocks reordered, a block cut off the end, a
 * file cut inside a block, bytes appended, a wrong passphrase — refused with its own code.
 */
import test from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BackupError, openingStream, sealingStream } from "./container.ts";

const KDF = { log2N: 10, r: 8, p: 1 };
const BLOCK = 64 * 1024 + 16;
const HEADER = 64;

async function seal(file: string, data: Buffer, passphrase = "pass phrase 1"): Promise<void> {
  const sealer = await sealingStream(passphrase, KDF);
  // Odd-sized writes: blocks must not depend on how the plaintext arrives.
  const parts = [];
  for (let i = 0; i < data.length; i += 7777) parts.push(data.subarray(i, i + 7777));
  await pipeline(Readable.from(parts), sealer, fs.createWriteStream(file));
}

async function open(file: string, passphrase = "pass phrase 1"): Promise<Buffer> {
  const { stream, offset } = await openingStream(file, passphrase);
  const src = fs.createReadStream(file, { start: offset });
  src.pipe(stream);
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const refused = (code: string, re: RegExp) => (err: unknown) => err instanceof BackupError && err.code === code && re.test(err.message);

test("backup container: round trip and every kind of damage refused", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-container-"));
  try {
    const file = path.join(dir, "b.pbk");
    const data = crypto.randomBytes(3 * 65532 + 1000);
    await seal(file, data);
    assert.equal(fs.statSync(file).size, HEADER + 4 * BLOCK);
    assert.deepEqual(await open(file), data);

    // Exactly whole blocks of plaintext, and nothing at all, round-trip too.
    const whole = path.join(dir, "whole.pbk");
    await seal(whole, data.subarray(0, 2 * 65532));
    assert.deepEqual(await open(whole), data.subarray(0, 2 * 65532));
    const empty = path.join(dir, "empty.pbk");
    await seal(empty, Buffer.alloc(0));
    assert.equal((await open(empty)).length, 0);

    const bytes = fs.readFileSync(file);
    const variant = (name: string, b: Buffer) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, b);
      return f;
    };
    const flipped = Buffer.from(bytes);
    flipped[HEADER + BLOCK + 100]! ^= 1;
    await assert.rejects(open(variant("flip.pbk", flipped)), refused("backup_damaged", /block 1 .*does not authenticate/));

    const swapped = Buffer.concat([
      bytes.subarray(0, HEADER),
      bytes.subarray(HEADER + BLOCK, HEADER + 2 * BLOCK),
      bytes.subarray(HEADER, HEADER + BLOCK),
      bytes.subarray(HEADER + 2 * BLOCK),
    ]);
    await assert.rejects(open(variant("swap.pbk", swapped)), refused("backup_damaged", /block 0 .*does not authenticate/));

    await assert.rejects(open(variant("cut-block.pbk", bytes.subarray(0, HEADER + 3 * BLOCK))), refused("backup_truncated", /blocks after block 2/));
    await assert.rejects(open(variant("cut-inside.pbk", bytes.subarray(0, HEADER + 2 * BLOCK + 500))), refused("backup_truncated", /ends inside block 2/));
    await assert.rejects(open(variant("header-only.pbk", bytes.subarray(0, HEADER))), refused("backup_truncated", /no data/));
    await assert.rejects(open(variant("appended.pbk", Buffer.concat([bytes, Buffer.alloc(BLOCK)]))), refused("backup_damaged", /block 3 /));

    await assert.rejects(open(file, "another passphrase"), refused("backup_passphrase", /wrong passphrase/));
    const header = Buffer.from(bytes);
    header[20]! ^= 1; // the salt: the passphrase check no longer matches
    await assert.rejects(open(variant("salt.pbk", header)), refused("backup_passphrase", /wrong passphrase/));
    await assert.rejects(open(variant("junk.pbk", Buffer.from("not a backup at all, just text"))), refused("backup_invalid", /not a Parley backup/));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
