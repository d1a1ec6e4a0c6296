import { test } from "node:test";
import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import { ARCHIVE_COPY_MIN_BYTES, parseArchiveFraming } from "@parley/protocol";
import { ed25519 } from "@noble/curves/ed25519.js";
import { gcm } from "@noble/ciphers/aes.js";
import {
  createDeviceIdentity,
  examineArchiveCopy,
  loadDeviceIdentity,
  MemoryKeyStore,
  openArchiveCopy,
  sealArchiveCopy,
  type ArchiveCopyContext,
} from "../index.ts";
import { isE2eeError } from "../public.ts";
import { concat, fromHex, toHex, utf8 } from "../bytes.ts";
import { sealArchiveCopyWithNonce } from "./archive-copy.ts";
import { device, ORG } from "../test-devices.ts";

const hk = sha256(utf8("history key of chan1, generation 2, epoch 7"));
const payload = utf8('{"type":"message","text":"hello, archive"}');

async function setup() {
  const { identity: signer } = await device("alice", "a1");
  const ctx: ArchiveCopyContext = { orgId: ORG, channelId: "chan1", generation: 2, epoch: 7n, clientId: "client-0001", senderDeviceId: "a1" };
  const bytes = await sealArchiveCopy({ hk, channelId: ctx.channelId, generation: ctx.generation, epoch: ctx.epoch, clientId: ctx.clientId, payload, signer });
  const open = (over: Partial<ArchiveCopyContext & { bytes: Uint8Array; hk: Uint8Array; senderSignaturePublicKey: Uint8Array }> = {}) =>
    openArchiveCopy({ ...ctx, hk, bytes, senderSignaturePublicKey: signer.signaturePublicKey, suite: "default", ...over });
  return { signer, ctx, bytes, open };
}

async function expectCode(p: Promise<unknown>, code: string, what: string) {
  await assert.rejects(p, (e: unknown) => (isE2eeError(e) && e.code === code ? true : assert.fail(`${what}: expected ${code}, got ${String(e)}`)));
}

test("an archive copy opens to its payload; the server reads only its framing", async () => {
  const { bytes, open } = await setup();
  assert.deepEqual(await open(), payload);
  assert.equal(bytes.length, ARCHIVE_COPY_MIN_BYTES + payload.length);
  const parsed = parseArchiveFraming(bytes, { epoch: 7n, generation: 2 });
  assert.ok(parsed.ok);
  assert.equal(parsed.framing.epoch, 7n);
  assert.equal(parsed.framing.generation, 2);
  assert.equal(parseArchiveFraming(bytes, { epoch: 8n }).ok, false);
  assert.deepEqual(parseArchiveFraming(bytes, { generation: 3 }), { ok: false, problem: "wrong_generation" });
  assert.deepEqual(parseArchiveFraming(bytes, { maxBytes: bytes.length - 1 }), { ok: false, problem: "too_large" });
  const again = await setup();
  assert.notDeepEqual(again.bytes.subarray(13, 25), bytes.subarray(13, 25), "a fresh random nonce per copy");
});

test("every bit flip in every region is caught, with the code of its region", async () => {
  const { bytes, open } = await setup();
  const sigStart = bytes.length - 64;
  const regions: Array<[string, number, number, string]> = [
    ["version", 0, 1, "archive_bad_framing"],
    ["epoch", 1, 9, "archive_wrong_epoch"],
    ["generation", 9, 13, "archive_wrong_epoch"],
    ["nonce", 13, 25, "archive_bad_signature"],
    ["ciphertext", 25, sigStart, "archive_bad_signature"],
    ["signature", sigStart, bytes.length, "archive_bad_signature"],
  ];
  for (const [name, from, to, code] of regions) {
    for (const i of [from, Math.floor((from + to) / 2), to - 1]) {
      for (const bit of [0, 7]) {
        const bad = bytes.slice();
        bad[i]! ^= 1 << bit;
        await expectCode(open({ bytes: bad }), code, `${name} byte ${i} bit ${bit}`);
      }
    }
  }
});

test("truncated copies are refused as truncated", async () => {
  const { bytes, open } = await setup();
  for (const n of [0, 1, 12, 24, 25, 40, ARCHIVE_COPY_MIN_BYTES - 1]) await expectCode(open({ bytes: bytes.slice(0, n) }), "archive_truncated", `length ${n}`);
  // Longer than the minimum but cut: the signature boundary moves, so the signature fails.
  await expectCode(open({ bytes: bytes.slice(0, bytes.length - 1) }), "archive_bad_signature", "one byte short");
});

test("a copy of another event, epoch, channel, clientId or sender does not open", async () => {
  const { bytes, open, ctx } = await setup();
  await expectCode(open({ epoch: 8n }), "archive_wrong_epoch", "the event's epoch differs");
  await expectCode(open({ generation: 3 }), "archive_wrong_epoch", "the event's generation differs");
  // The server swaps the epoch in the framing to match another event: the signature catches it.
  const swapped = bytes.slice();
  new DataView(swapped.buffer).setBigUint64(1, 8n);
  await expectCode(open({ bytes: swapped, epoch: 8n }), "archive_bad_signature", "swapped epoch");
  await expectCode(open({ channelId: "chan2" }), "archive_bad_signature", "other channel");
  await expectCode(open({ clientId: "client-0002" }), "archive_bad_signature", "other clientId");
  await expectCode(open({ orgId: "org2" }), "archive_bad_signature", "other org");
  await expectCode(open({ senderDeviceId: "a2" }), "archive_bad_signature", "other sender id");
  // Signed by another device (a valid signature, but not the sender's key).
  const mallory = await createDeviceIdentity({ orgId: ORG, userId: "mallory", deviceId: "a1", suite: "default" });
  const forged = await sealArchiveCopy({ hk, channelId: ctx.channelId, generation: 2, epoch: 7n, clientId: ctx.clientId, payload, signer: mallory });
  await expectCode(open({ bytes: forged }), "archive_bad_signature", "signature by another device");
  // Correctly signed, but under another history key: only the AEAD can tell.
  const otherKey = sha256(utf8("another epoch's key"));
  await expectCode(open({ hk: otherKey }), "archive_tampered", "another history key");
});

test("examineArchiveCopy (eDiscovery) reports the signature apart from opening: a bad signature or a missing key never hides the rest", async () => {
  const { bytes, ctx, signer } = await setup();
  const otherKey = sha256(utf8("another epoch's key"));
  const examine = (over: Partial<Parameters<typeof examineArchiveCopy>[0]> = {}) =>
    examineArchiveCopy({ ...ctx, hks: [otherKey, hk], bytes, senderSignaturePublicKey: signer.signaturePublicKey, suite: "default", ...over });
  assert.deepEqual(await examine(), { signed: true, payload }, "the candidate key that opens it is used");
  assert.deepEqual(await examine({ hks: [] }), { signed: true, payload: undefined }, "no key: the signature is still checked");
  assert.deepEqual(await examine({ hks: [otherKey] }), { signed: true, payload: undefined });
  assert.deepEqual(await examine({ senderSignaturePublicKey: undefined }), { signed: false, payload });
  const mallory = await createDeviceIdentity({ orgId: ORG, userId: "mallory", deviceId: "a1", suite: "default" });
  assert.deepEqual(await examine({ senderSignaturePublicKey: mallory.signaturePublicKey }), { signed: false, payload });
  // The AEAD still binds the event: another channel's context opens nothing.
  assert.deepEqual(await examine({ channelId: "chan2" }), { signed: false, payload: undefined });
  await expectCode(examine({ bytes: bytes.slice(0, 20) }), "archive_truncated", "framing errors still throw");
});

test("known answer: fixed key, nonce and signing key pin the archive copy format, rebuilt here by hand", async () => {
  const seed = fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"); // RFC 8032 §7.1 test 1
  const pub = ed25519.getPublicKey(seed);
  const store = new MemoryKeyStore();
  const record = { v: 1, orgId: ORG, userId: "alice", deviceId: "a1", suite: "default", publicKey: toHex(pub), privateKey: toHex(seed) };
  await store.put("identity", utf8(JSON.stringify(record)));
  const signer = (await loadDeviceIdentity(store))!;
  const nonce = fromHex("000102030405060708090a0b");
  const bytes = await sealArchiveCopyWithNonce(
    { hk, channelId: "chan1", generation: 2, epoch: 7n, clientId: "client-0001", payload: utf8("hi"), signer },
    nonce,
  );
  assert.equal(toHex(bytes), KAT);

  // The same bytes from the ADR's definitions, with independent primitives.
  const header = fromHex("01" + "0000000000000007" + "00000002");
  const lp = (s: string) => concat(Uint8Array.of(0, s.length), utf8(s));
  const aad = concat(utf8("parley archive copy v1"), header, lp(ORG), lp("chan1"), lp("client-0001"), lp("a1"));
  const ct = gcm(hk, nonce, aad).encrypt(utf8("hi"));
  assert.equal(toHex(bytes.subarray(0, 25 + ct.length)), toHex(concat(header, nonce, ct)));
  const tbs = concat(lp(ORG), lp("chan1"), fromHex("00000002"), fromHex("0000000000000007"), lp("client-0001"), lp("a1"), sha256(concat(nonce, ct)));
  const label = utf8("MLS 1.0 parley archive copy v1");
  // RFC 9420 varints: one byte below 64, two (0x40 | high bits) below 16,384.
  const signContent = concat(Uint8Array.of(label.length), label, Uint8Array.of(0x40 | (tbs.length >> 8), tbs.length & 0xff), tbs);
  assert.ok(
    label.length < 64 && tbs.length >= 64 && ed25519.verify(bytes.subarray(25 + ct.length), signContent, pub),
    "Ed25519 SignWithLabel over the ADR's content",
  );

  const ctx = { orgId: ORG, channelId: "chan1", generation: 2, epoch: 7n, clientId: "client-0001", senderDeviceId: "a1" };
  assert.deepEqual(await openArchiveCopy({ ...ctx, hk, bytes, senderSignaturePublicKey: pub, suite: "xwing" }), utf8("hi"), "both suites sign with Ed25519");
});

const KAT =
  "01000000000000000700000002000102030405060708090a0ba744e42386a645fa7ee70b8d03d952e31aea3676f87b3b4a84c363f8a42489642eeab197046ad2238a917adcbe7c75e510dabbe1519293bf4e793c517488d7dad2676ad80b8153b42c4c1ce8bdb63ab03307";
