// The node:crypto HPKE of the default suite (hpke-node.ts) against RFC 9180's test vectors
// and, both ways, against @hpke (ts-mls's default provider): seal/open, secret export,
// DeriveKeyPair and key serialisation, MLS's EncryptWithLabel; and its refusals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CryptoError, defaultCryptoProvider, type Hpke } from "ts-mls";
import { fromHex, toHex } from "./bytes.ts";
import { encap, keySchedule, nodeHpkeX25519, x25519Of } from "./hpke-node.ts";
import { aeadEncrypt } from "./node-primitives.ts";
import { nodeCryptoProvider } from "./provider-node.ts";
import { decryptWithLabel, encryptWithLabel } from "./ts-mls-internal.ts";

// RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, Base Setup.
const A11 = {
  info: "4f6465206f6e2061204772656369616e2055726e",
  ikmE: "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234",
  pkEm: "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
  skEm: "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
  ikmR: "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037",
  pkRm: "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
  skRm: "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
  enc: "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
  sharedSecret: "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc",
  key: "4531685d41d65f03dc48f6b8302c05b0",
  baseNonce: "56d890e5accaaf011cff4b7d",
  exporterSecret: "45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8",
  pt: "4265617574792069732074727574682c20747275746820626561757479",
  encryptions: [
    { seq: 0, aad: "436f756e742d30", ct: "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a" },
    { seq: 1, aad: "436f756e742d31", ct: "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b84" },
    { seq: 2, aad: "436f756e742d32", ct: "498dfcabd92e8acedc281e85af1cb4e3e31c7dc394a1ca20e173cb72516491588d96a19ad4a683518973dcc180" },
    { seq: 4, aad: "436f756e742d34", ct: "583bd32bc67a5994bb8ceaca813d369bca7b2a42408cddef5e22f880b631215a09fc0012bc69fccaa251c0246d" },
    { seq: 255, aad: "436f756e742d323535", ct: "7175db9717964058640a3a11fb9007941a5d1757fda1a6935c805c21af32505bf106deefec4a49ac38d71c9e0a" },
    { seq: 256, aad: "436f756e742d323536", ct: "957f9800542b0b8891badb026d79cc54597cb2d225b54c00c5238c25d05c30e3fbeda97d2e0e1aba483a2df9f2" },
  ],
  exports: [
    { context: "", value: "3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee" },
    { context: "00", value: "2e8f0b54673c7029649d4eb9d5e33bf1872cf76d623ff164ac185da9e88c21a5" },
    { context: "54657374436f6e74657874", value: "e9e43065102c3836401bed8c3c3c75ae46be1639869391d62c61f1ec7af54931" },
  ],
};

const h = fromHex;
const rnd = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const atHpke = async (): Promise<Hpke> => (await defaultCryptoProvider.getCiphersuiteImpl(1)).hpke;

/** RFC 9180 §5.2: the nonce of sequence number `seq`. */
function nonceOf(baseNonce: Uint8Array, seq: number): Uint8Array {
  const n = baseNonce.slice();
  for (let i = 0, s = seq; s > 0; i++, s = Math.floor(s / 256)) n[n.length - 1 - i]! ^= s & 0xff;
  return n;
}

test("RFC 9180 A.1.1: DeriveKeyPair, Encap, KeySchedule, seal, open and export match the test vector", async () => {
  const hpke = nodeHpkeX25519();
  const e = await hpke.deriveKeyPair(h(A11.ikmE));
  const r = await hpke.deriveKeyPair(h(A11.ikmR));
  assert.equal(toHex(await hpke.exportPrivateKey(e.privateKey)), A11.skEm);
  assert.equal(toHex(await hpke.exportPublicKey(e.publicKey)), A11.pkEm);
  assert.equal(toHex(await hpke.exportPrivateKey(r.privateKey)), A11.skRm);
  assert.equal(toHex(await hpke.exportPublicKey(r.publicKey)), A11.pkRm);

  // Encap with the vector's ephemeral key (seal draws a fresh one).
  const pkR = await hpke.importPublicKey(h(A11.pkRm));
  const { sharedSecret, enc } = encap(x25519Of(pkR), x25519Of(await hpke.importPrivateKey(h(A11.skEm))));
  assert.equal(toHex(enc), A11.enc);
  assert.equal(toHex(sharedSecret), A11.sharedSecret);
  const c = keySchedule(sharedSecret, h(A11.info));
  assert.deepEqual([toHex(c.key), toHex(c.baseNonce), toHex(c.exporterSecret)], [A11.key, A11.baseNonce, A11.exporterSecret]);
  assert.ok(
    sharedSecret.every((b) => b === 0),
    "the key schedule zeroes the shared secret",
  );
  for (const x of A11.encryptions) {
    assert.equal(toHex(aeadEncrypt("aes-128-gcm", c.key, nonceOf(c.baseNonce, x.seq), h(x.aad), h(A11.pt))), x.ct, `encryption ${x.seq}`);
  }

  // The recipient side, through the Hpke interface ts-mls calls: single-shot open (sequence 0) and exports.
  const skR = await hpke.importPrivateKey(h(A11.skRm));
  const first = A11.encryptions[0]!;
  assert.equal(toHex(await hpke.open(skR, h(A11.enc), h(first.ct), h(A11.info), h(first.aad))), A11.pt);
  for (const x of A11.exports) {
    assert.equal(toHex(await hpke.importSecret(skR, h(x.context), h(A11.enc), 32, h(A11.info))), x.value, `export "${x.context}"`);
  }
});

test("node:crypto HPKE and @hpke interoperate both ways: seal/open, export, keys, EncryptWithLabel", async () => {
  const ours = nodeHpkeX25519();
  const theirs = await atHpke();
  for (const [sender, recipient] of [
    [ours, theirs],
    [theirs, ours],
  ] as const) {
    const kp = await recipient.generateKeyPair();
    const pkBytes = await recipient.exportPublicKey(kp.publicKey);
    const pk = await sender.importPublicKey(pkBytes);
    for (const [len, aad] of [
      [0, undefined],
      [70, rnd(9)],
      [5000, new Uint8Array(0)],
    ] as const) {
      const pt = rnd(len);
      const info = rnd(40);
      const { ct, enc } = await sender.seal(pk, pt, info, aad);
      assert.equal(enc.length, 32);
      assert.deepEqual(await recipient.open(kp.privateKey, enc, ct, info, aad), pt, `${len} B`);
    }
    const ctx = rnd(20);
    const info = rnd(10);
    const { enc, secret } = await sender.exportSecret(pk, ctx, 32, info);
    assert.deepEqual(await recipient.importSecret(kp.privateKey, ctx, enc, 32, info), secret, "exported secret");
    const sealed = await encryptWithLabel(pk, "Welcome", rnd(100), utf8("group secrets"), sender);
    assert.ok(sealed.ct.length > 0);
    // A private key serialised by one imports into the other and opens what the first sealed.
    const skBytes = await recipient.exportPrivateKey(kp.privateKey);
    const moved = await sender.importPrivateKey(skBytes);
    const context = rnd(64);
    const again = await encryptWithLabel(await recipient.importPublicKey(pkBytes), "UpdatePathNode", context, utf8("path secret"), recipient);
    assert.deepEqual(await decryptWithLabel(moved, "UpdatePathNode", context, again.enc, again.ct, sender), utf8("path secret"));
  }
  for (let i = 0; i < 5; i++) {
    const ikm = rnd(32);
    const [a, b] = [await ours.deriveKeyPair(ikm), await theirs.deriveKeyPair(ikm)];
    assert.deepEqual(await ours.exportPrivateKey(a.privateKey), await theirs.exportPrivateKey(b.privateKey), "DeriveKeyPair: private key");
    assert.deepEqual(await ours.exportPublicKey(a.publicKey), await theirs.exportPublicKey(b.publicKey), "DeriveKeyPair: public key");
  }
});

test("node:crypto HPKE refuses tampering, wrong keys, low-order points, bad sizes and foreign key handles", async () => {
  const hpke = nodeHpkeX25519();
  const kp = await hpke.generateKeyPair();
  const other = await hpke.generateKeyPair();
  const info = rnd(16);
  const { ct, enc } = await hpke.seal(kp.publicKey, rnd(50), info, undefined);
  const bad = ct.slice();
  bad[3]! ^= 1;
  await assert.rejects(hpke.open(kp.privateKey, enc, bad, info), CryptoError, "tampered ciphertext");
  await assert.rejects(hpke.open(other.privateKey, enc, ct, info), CryptoError, "another recipient");
  await assert.rejects(hpke.open(kp.privateKey, enc, ct, rnd(16)), CryptoError, "another info");
  const encBad = enc.slice();
  encBad[0]! ^= 1;
  await assert.rejects(hpke.open(kp.privateKey, encBad, ct, info), CryptoError, "another kem output");
  // Low-order points give the all-zero DH output (RFC 9180 §7.1.4): refused on both sides.
  for (const point of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
    await assert.rejects(hpke.seal(await hpke.importPublicKey(point), rnd(10), info), CryptoError, "seal to a low-order point");
    await assert.rejects(hpke.open(kp.privateKey, point, ct, info), CryptoError, "kem output at a low-order point");
  }
  await assert.rejects(hpke.importPublicKey(rnd(31)), CryptoError);
  await assert.rejects(hpke.importPrivateKey(rnd(33)), CryptoError);
  const foreign = (await (await atHpke()).generateKeyPair()).publicKey;
  await assert.rejects(hpke.seal(foreign, rnd(10), info), CryptoError, "a @hpke CryptoKey");
  await assert.rejects(hpke.seal(kp.privateKey as never, rnd(10), info), CryptoError, "a private key where a public one belongs");
});

test("the node provider runs the default suite's HPKE on node:crypto, X-Wing's on @hpke", async () => {
  const one = await nodeCryptoProvider.getCiphersuiteImpl(1);
  const kp = await one.hpke.generateKeyPair();
  assert.doesNotThrow(() => x25519Of(kp.publicKey));
  const xwing = await nodeCryptoProvider.getCiphersuiteImpl(0xf00d);
  const xkp = await xwing.hpke.generateKeyPair();
  assert.throws(() => x25519Of(xkp.publicKey), CryptoError);
});

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
