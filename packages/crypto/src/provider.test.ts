// Provider-level checks of the node:crypto and browser (@noble + WebCrypto) providers:
// RFC 9420 crypto-basics vectors, byte-for-byte agreement with ts-mls's default provider
// (the reference) on every primitive both ways, error behaviour, and the key caches'
// bounds. Group-level interop is in provider-interop.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CryptoError, defaultCryptoProvider, type CiphersuiteImpl, type CryptoProvider } from "ts-mls";
import { fromHex, toHex } from "./bytes.ts";
import { PublicKeyCache, SigningKeyCache } from "./key-cache.ts";
import { nodeCryptoProvider } from "./provider-node.ts";
import { webCryptoProvider } from "./provider-web.ts";
import { decryptWithLabel, deriveSecret, deriveTreeSecret, expandWithLabel, refhash, signWithLabel, verifyWithLabel } from "./ts-mls-internal.ts";

const PROVIDERS: [string, CryptoProvider][] = [
  ["node", nodeCryptoProvider],
  ["web", webCryptoProvider],
];
const SUITES: [string, number][] = [
  ["default", 1],
  ["xwing", 0xf00d],
];
const rnd = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const impl = (p: CryptoProvider, id: number) => p.getCiphersuiteImpl(id);

const VECTORS = join(import.meta.dirname, "..", "..", "..", "..", "shared", "mls-vectors", "test-vectors", "crypto-basics.json");
interface Basics {
  cipher_suite: number;
  ref_hash: { label: string; value: string; out: string };
  expand_with_label: { secret: string; label: string; context: string; length: number; out: string };
  derive_secret: { secret: string; label: string; out: string };
  derive_tree_secret: { secret: string; label: string; generation: number; length: number; out: string };
  sign_with_label: { priv: string; pub: string; content: string; label: string; signature: string };
  encrypt_with_label: { priv: string; pub: string; label: string; context: string; plaintext: string; kem_output: string; ciphertext: string };
}

async function checkHashAndKdf(cs: CiphersuiteImpl, v: Basics) {
  const h = (s: string) => fromHex(s);
  assert.equal(toHex(await refhash(v.ref_hash.label, h(v.ref_hash.value), cs.hash)), v.ref_hash.out, "RefHash");
  const e = v.expand_with_label;
  assert.equal(toHex(await expandWithLabel(h(e.secret), e.label, h(e.context), e.length, cs.kdf)), e.out, "ExpandWithLabel");
  assert.equal(toHex(await deriveSecret(h(v.derive_secret.secret), v.derive_secret.label, cs.kdf)), v.derive_secret.out, "DeriveSecret");
  const t = v.derive_tree_secret;
  assert.equal(toHex(await deriveTreeSecret(h(t.secret), t.label, t.generation, t.length, cs.kdf)), t.out, "DeriveTreeSecret");
}

for (const [name, provider] of PROVIDERS) {
  test(`${name} provider: RFC 9420 crypto-basics vectors`, async (t) => {
    if (!existsSync(VECTORS)) return t.skip(`missing ${VECTORS} (the shared MLS test vectors)`);
    const all = JSON.parse(readFileSync(VECTORS, "utf8")) as Basics[];
    const v1 = all.find((v) => v.cipher_suite === 1)!;
    const cs = await impl(provider, 1);
    await checkHashAndKdf(cs, v1);
    const s = v1.sign_with_label;
    // A raw 32-byte seed as signing key; Ed25519 is deterministic, so the signature must match exactly.
    assert.equal(toHex(await signWithLabel(fromHex(s.priv), s.label, fromHex(s.content), cs.signature)), s.signature, "SignWithLabel");
    assert.ok(await verifyWithLabel(fromHex(s.pub), s.label, fromHex(s.content), fromHex(s.signature), cs.signature), "VerifyWithLabel");
    const w = v1.encrypt_with_label;
    const priv = await cs.hpke.importPrivateKey(fromHex(w.priv));
    const pt = await decryptWithLabel(priv, w.label, fromHex(w.context), fromHex(w.kem_output), fromHex(w.ciphertext), cs.hpke);
    assert.equal(toHex(pt), w.plaintext, "DecryptWithLabel");
    // Suite 5's vectors are SHA-512 and HKDF-SHA512, the hash and KDF of the X-Wing suite.
    await checkHashAndKdf(
      await impl(provider, 0xf00d),
      all.find((v) => v.cipher_suite === 5)!,
    );
  });

  for (const [suite, id] of SUITES) {
    test(`${name} provider agrees with the default provider byte for byte (${suite})`, async () => {
      const [ours, ref] = [await impl(provider, id), await impl(defaultCryptoProvider, id)];
      for (const len of [0, 1, 200, 20_000]) {
        const data = rnd(len);
        assert.deepEqual(await ours.hash.digest(data), await ref.hash.digest(data), `digest of ${len} B`);
      }
      const key = rnd(ours.kdf.size);
      const data = rnd(100);
      const mac = await ours.hash.mac(key, data);
      assert.deepEqual(mac, await ref.hash.mac(key, data));
      assert.equal(await ref.hash.verifyMac(key, mac, data), true);
      assert.equal(await ours.hash.verifyMac(key, await ref.hash.mac(key, data), data), true);
      assert.equal(await ours.hash.verifyMac(key, mac.slice(0, 16), data), false, "truncated MAC");
      mac[0]! ^= 1;
      assert.equal(await ours.hash.verifyMac(key, mac, data), false, "flipped MAC");

      assert.equal(ours.kdf.size, ref.kdf.size);
      for (const salt of [new Uint8Array(0), rnd(ours.kdf.size)]) {
        const ikm = rnd(ours.kdf.size);
        assert.deepEqual(await ours.kdf.extract(salt, ikm), await ref.kdf.extract(salt, ikm), `extract, ${salt.length} B salt`);
      }
      const prk = rnd(ours.kdf.size);
      for (const len of [12, 16, 32, 64, 100, 1000]) {
        const info = rnd(40);
        assert.deepEqual(await ours.kdf.expand(prk, info, len), await ref.kdf.expand(prk, info, len), `expand to ${len} B`);
      }

      assert.equal(ours.hpke.keyLength, ref.hpke.keyLength);
      const aeadKey = rnd(ours.hpke.keyLength);
      for (const [len, aad] of [
        [0, undefined],
        [200, rnd(30)],
        [50_000, rnd(5)],
        [300, undefined],
      ] as const) {
        const nonce = rnd(ours.hpke.nonceLength);
        const pt = rnd(len);
        const ct = await ours.hpke.encryptAead(aeadKey, nonce, aad, pt);
        assert.deepEqual(ct, await ref.hpke.encryptAead(aeadKey, nonce, aad, pt), `AEAD ${len} B`);
        assert.deepEqual(await ref.hpke.decryptAead(aeadKey, nonce, aad, ct), pt);
        assert.deepEqual(await ours.hpke.decryptAead(aeadKey, nonce, aad, ct), pt);
        ct[ct.length - 1]! ^= 1;
        await assert.rejects(ours.hpke.decryptAead(aeadKey, nonce, aad, ct), CryptoError, "tampered tag");
      }
      await assert.rejects(ours.hpke.decryptAead(aeadKey, rnd(12), undefined, rnd(8)), CryptoError, "shorter than a tag");
    });

    test(`${name} provider: Ed25519 keys and signatures interoperate with the default provider (${suite})`, async () => {
      const [ours, ref] = [await impl(provider, id), await impl(defaultCryptoProvider, id)];
      const msg = rnd(300);
      for (const [signer, verifier] of [
        [ours, ref],
        [ref, ours],
      ] as const) {
        const { signKey, publicKey } = await signer.signature.keygen();
        assert.equal(signKey.length, 48, "PKCS#8, as stored in key stores");
        const sig = await signer.signature.sign(signKey, msg);
        assert.deepEqual(await verifier.signature.sign(signKey, msg), sig, "deterministic: same signature from either");
        assert.equal(await verifier.signature.verify(publicKey, msg, sig), true);
        assert.equal(await verifier.signature.verify(publicKey, rnd(300), sig), false, "other message");
      }
      const { signKey, publicKey } = await ours.signature.keygen();
      const sig = await ours.signature.sign(signKey, msg);
      assert.equal(await ours.signature.verify(publicKey, msg, sig.slice(0, 63)), false, "short signature");
      assert.equal(await ours.signature.verify(publicKey.slice(0, 31), msg, sig), false, "short key");
      assert.equal(await ours.signature.verify(new Uint8Array(32).fill(0xff), msg, sig), false, "not a key");
    });
  }

  test(`${name} provider: a cached signing key follows its array's bytes`, async () => {
    const cs = await impl(provider, 1);
    const a = await cs.signature.keygen();
    const b = await cs.signature.keygen();
    const msg = rnd(50);
    const key = a.signKey.slice();
    assert.ok(await cs.signature.verify(a.publicKey, msg, await cs.signature.sign(key, msg)));
    // The same array, now holding another key (or zeroed): never signs with the old one.
    key.set(b.signKey);
    const sig = await cs.signature.sign(key, msg);
    assert.ok(await cs.signature.verify(b.publicKey, msg, sig));
    assert.equal(await cs.signature.verify(a.publicKey, msg, sig), false);
    key.fill(0);
    await assert.rejects(cs.signature.sign(key, msg), "a zeroed PKCS#8 key is no key");
  });
}

test("key caches are bounded", () => {
  const pub = new PublicKeyCache<number>(3, toHex);
  let made = 0;
  for (let i = 0; i < 10; i++) pub.get(new Uint8Array([i]), () => ++made);
  assert.equal(pub.size, 3);
  assert.equal(
    pub.get(new Uint8Array([9]), () => ++made),
    10,
    "a recent key is still cached",
  );
  assert.equal(
    pub.get(new Uint8Array([0]), () => ++made),
    11,
    "the oldest was dropped",
  );

  const signing = new SigningKeyCache<number>(4, toHex);
  const arrays = Array.from({ length: 10 }, (_, i) => new Uint8Array([i, 1, 2]));
  for (const a of arrays) signing.get(a, () => ++made);
  assert.equal(signing.size, 4);
  const hit = signing.get(arrays[9]!, () => -1);
  assert.notEqual(hit, -1, "the newest array is cached");
  assert.equal(
    signing.get(arrays[0]!, () => -1),
    -1,
    "the oldest array was evicted",
  );
  signing.clear();
  assert.equal(signing.size, 0);
});
