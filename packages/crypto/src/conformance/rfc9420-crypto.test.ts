// RFC 9420 conformance, cryptographic building blocks: crypto-basics, deserialization,
// key-schedule, psk_secret, secret-tree and transcript-hashes (../shared/mls-vectors/
// test-vectors/). No known failures.
//
// Parley's own code under test: its suite implementations (testing/vector-suites.ts →
// suites.ts), the SignWithLabel content and RefHash it computes itself for KeyPackage
// checks and ProposalRefs (inspect.ts), its MLS varint encoder (bytes.ts) and decoder
// (tree.ts), and the GroupContext encoder and transcript hashes the server's commit
// check uses (ts-mls-internal.ts, verify-public.ts). The rest — ExpandWithLabel,
// DeriveSecret, DeriveTreeSecret, EncryptWithLabel, the key schedule, PSK secret and
// secret tree — are ts-mls internals Parley only reaches through ts-mls, called
// directly here (testing/ts-mls-vectors.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { contentTypes, defaultKeyRetentionConfig, encode, mlsExporter, protocolVersions, pskTypes, type CiphersuiteId, type GroupContext } from "ts-mls";
import { mlsVarint, toHex } from "../bytes.ts";
import { refHashWith, signContent } from "../inspect.ts";
import { Reader } from "../tree.ts";
import { createConfirmedHash, createInterimHash, groupContextEncoder } from "../ts-mls-internal.ts";
import { hex, loadVectors, runVectorFile, VECTORS_DIR } from "../testing/mls-vectors.ts";
import {
  authenticatedContentDecoder,
  computePskSecret,
  createSecretTree,
  decryptWithLabel,
  deriveSecret,
  deriveTreeSecret,
  determineLength,
  encryptWithLabel,
  expandSenderDataKey,
  expandSenderDataNonce,
  expandWithLabel,
  initializeEpoch,
  ratchetToGeneration,
  toLeafIndex,
} from "../testing/ts-mls-vectors.ts";

const eqHex = (actual: Uint8Array, expected: string, what: string) => assert.equal(toHex(actual), expected, what);

test("vectors that are not where they should be fail the run, saying where they were expected", () => {
  assert.throws(
    () => loadVectors("test-vectors/no-such-file.json"),
    (err: unknown) => {
      assert.ok(err instanceof Error && err.message.includes(`${VECTORS_DIR}/test-vectors/no-such-file.json`) && /not skipped/.test(err.message), String(err));
      return true;
    },
  );
});

interface CryptoBasics {
  cipher_suite: number;
  ref_hash: { label: string; value: string; out: string };
  expand_with_label: { secret: string; label: string; context: string; length: number; out: string };
  derive_secret: { secret: string; label: string; out: string };
  derive_tree_secret: { secret: string; label: string; generation: number; length: number; out: string };
  sign_with_label: { priv: string; pub: string; content: string; label: string; signature: string };
  encrypt_with_label: { priv: string; pub: string; label: string; context: string; plaintext: string; kem_output: string; ciphertext: string };
}

test("RFC 9420 vectors: crypto-basics.json", async (t) => {
  await runVectorFile<CryptoBasics>(t, {
    file: "test-vectors/crypto-basics.json",
    suiteOf: (c) => c.cipher_suite,
    async run(c, suite) {
      const { impl } = suite!;
      const r = c.ref_hash;
      eqHex(await refHashWith(impl.hash, r.label, hex(r.value)), r.out, "RefHash (inspect.ts)");
      const e = c.expand_with_label;
      eqHex(await expandWithLabel(hex(e.secret), e.label, hex(e.context), e.length, impl.kdf), e.out, "ExpandWithLabel");
      eqHex(await deriveSecret(hex(c.derive_secret.secret), c.derive_secret.label, impl.kdf), c.derive_secret.out, "DeriveSecret");
      const d = c.derive_tree_secret;
      eqHex(await deriveTreeSecret(hex(d.secret), d.label, d.generation, d.length, impl.kdf), d.out, "DeriveTreeSecret");
      // SignWithLabel / VerifyWithLabel over the content Parley builds itself (inspect.ts).
      const s = c.sign_with_label;
      const tbs = signContent(s.label, hex(s.content));
      assert.ok(await impl.signature.verify(hex(s.pub), tbs, hex(s.signature)), "VerifyWithLabel of the vector's signature");
      assert.ok(await impl.signature.verify(hex(s.pub), tbs, await impl.signature.sign(hex(s.priv), tbs)), "VerifyWithLabel(SignWithLabel)");
      const h = c.encrypt_with_label;
      const priv = await impl.hpke.importPrivateKey(hex(h.priv));
      eqHex(await decryptWithLabel(priv, h.label, hex(h.context), hex(h.kem_output), hex(h.ciphertext), impl.hpke), h.plaintext, "DecryptWithLabel");
      const sealed = await encryptWithLabel(await impl.hpke.importPublicKey(hex(h.pub)), h.label, hex(h.context), hex(h.plaintext), impl.hpke);
      eqHex(await decryptWithLabel(priv, h.label, hex(h.context), sealed.enc, sealed.ct, impl.hpke), h.plaintext, "DecryptWithLabel(EncryptWithLabel)");
    },
  });
});

test("RFC 9420 vectors: deserialization.json", async (t) => {
  await runVectorFile<{ vlbytes_header: string; length: number }>(t, {
    file: "test-vectors/deserialization.json",
    async run(c) {
      eqHex(mlsVarint(c.length), c.vlbytes_header, "Parley's varint encoder (bytes.ts)");
      assert.equal(new Reader(hex(c.vlbytes_header)).varint(), c.length, "Parley's varint decoder (tree.ts)");
      assert.equal(determineLength(hex(c.vlbytes_header)).length, c.length, "ts-mls's varint decoder");
    },
  });
});

interface KeySchedule {
  cipher_suite: number;
  group_id: string;
  initial_init_secret: string;
  epochs: {
    tree_hash: string;
    commit_secret: string;
    psk_secret: string;
    confirmed_transcript_hash: string;
    group_context: string;
    joiner_secret: string;
    welcome_secret: string;
    init_secret: string;
    sender_data_secret: string;
    encryption_secret: string;
    exporter_secret: string;
    epoch_authenticator: string;
    external_secret: string;
    confirmation_key: string;
    membership_key: string;
    resumption_psk: string;
    external_pub: string;
    exporter: { label: string; context: string; length: number; secret: string };
  }[];
}

test("RFC 9420 vectors: key-schedule.json", async (t) => {
  await runVectorFile<KeySchedule>(t, {
    file: "test-vectors/key-schedule.json",
    suiteOf: (c) => c.cipher_suite,
    async run(c, suite) {
      const { impl } = suite!;
      let initSecret = hex(c.initial_init_secret);
      for (const [n, e] of c.epochs.entries()) {
        const gc: GroupContext = {
          version: protocolVersions.mls10,
          cipherSuite: c.cipher_suite as CiphersuiteId,
          groupId: hex(c.group_id),
          epoch: BigInt(n),
          treeHash: hex(e.tree_hash),
          confirmedTranscriptHash: hex(e.confirmed_transcript_hash),
          extensions: [],
        };
        eqHex(encode(groupContextEncoder, gc), e.group_context, `epoch ${n}: GroupContext (the encoder verify-public.ts uses)`);
        const s = await initializeEpoch(initSecret, hex(e.commit_secret), gc, hex(e.psk_secret), impl.kdf);
        const k = s.keySchedule;
        const got = {
          joiner_secret: s.joinerSecret,
          welcome_secret: s.welcomeSecret,
          init_secret: k.initSecret,
          sender_data_secret: k.senderDataSecret,
          encryption_secret: s.encryptionSecret,
          exporter_secret: k.exporterSecret,
          epoch_authenticator: k.epochAuthenticator,
          external_secret: k.externalSecret,
          confirmation_key: k.confirmationKey,
          membership_key: k.membershipKey,
          resumption_psk: k.resumptionPsk,
        };
        for (const [name, value] of Object.entries(got)) eqHex(value, e[name as keyof typeof got], `epoch ${n}: ${name}`);
        // external_pub = KEM.DeriveKeyPair(external_secret): the key in every GroupInfo Parley posts.
        eqHex(await impl.hpke.exportPublicKey((await impl.hpke.deriveKeyPair(k.externalSecret)).publicKey), e.external_pub, `epoch ${n}: external_pub`);
        eqHex(
          await mlsExporter(k.exporterSecret, e.exporter.label, hex(e.exporter.context), e.exporter.length, impl),
          e.exporter.secret,
          `epoch ${n}: MLS-Exporter`,
        );
        initSecret = k.initSecret;
      }
    },
  });
});

test("RFC 9420 vectors: psk_secret.json", async (t) => {
  await runVectorFile<{ cipher_suite: number; psks: { psk_id: string; psk: string; psk_nonce: string }[]; psk_secret: string }>(t, {
    file: "test-vectors/psk_secret.json",
    suiteOf: (c) => c.cipher_suite,
    async run(c, suite) {
      const psks = c.psks.map((p) => [{ psktype: pskTypes.external, pskId: hex(p.psk_id), pskNonce: hex(p.psk_nonce) }, hex(p.psk)] as const);
      eqHex(
        await computePskSecret(
          psks.map(([id, psk]) => [id, psk]),
          suite!.impl,
        ),
        c.psk_secret,
        "psk_secret",
      );
    },
  });
});

interface SecretTreeCase {
  cipher_suite: number;
  encryption_secret: string;
  sender_data: { sender_data_secret: string; ciphertext: string; key: string; nonce: string };
  leaves: { generation: number; application_key: string; application_nonce: string; handshake_key: string; handshake_nonce: string }[][];
}

test("RFC 9420 vectors: secret-tree.json", async (t) => {
  await runVectorFile<SecretTreeCase>(t, {
    file: "test-vectors/secret-tree.json",
    suiteOf: (c) => c.cipher_suite,
    async run(c, suite) {
      const { impl } = suite!;
      const sd = c.sender_data;
      eqHex(await expandSenderDataKey(impl, hex(sd.sender_data_secret), hex(sd.ciphertext)), sd.key, "sender_data_key");
      eqHex(await expandSenderDataNonce(impl, hex(sd.sender_data_secret), hex(sd.ciphertext)), sd.nonce, "sender_data_nonce");
      let tree = createSecretTree(c.leaves.length, hex(c.encryption_secret));
      for (const [leaf, generations] of c.leaves.entries()) {
        for (const g of generations) {
          const senderData = { leafIndex: toLeafIndex(leaf), generation: g.generation, reuseGuard: new Uint8Array(4) as never };
          const app = await ratchetToGeneration(tree, senderData, contentTypes.application, defaultKeyRetentionConfig, impl);
          eqHex(app.key, g.application_key, `leaf ${leaf} generation ${g.generation}: application key`);
          eqHex(app.nonce, g.application_nonce, `leaf ${leaf} generation ${g.generation}: application nonce`);
          const hs = await ratchetToGeneration(app.newTree, senderData, contentTypes.commit, defaultKeyRetentionConfig, impl);
          eqHex(hs.key, g.handshake_key, `leaf ${leaf} generation ${g.generation}: handshake key`);
          eqHex(hs.nonce, g.handshake_nonce, `leaf ${leaf} generation ${g.generation}: handshake nonce`);
          tree = hs.newTree;
        }
      }
    },
  });
});

interface TranscriptCase {
  cipher_suite: number;
  confirmation_key: string;
  authenticated_content: string;
  interim_transcript_hash_before: string;
  confirmed_transcript_hash_after: string;
  interim_transcript_hash_after: string;
}

test("RFC 9420 vectors: transcript-hashes.json", async (t) => {
  await runVectorFile<TranscriptCase>(t, {
    file: "test-vectors/transcript-hashes.json",
    suiteOf: (c) => c.cipher_suite,
    async run(c, suite) {
      const { impl } = suite!;
      const ac = authenticatedContentDecoder(hex(c.authenticated_content), 0)?.[0];
      assert.ok(ac && ac.content.contentType === contentTypes.commit && ac.auth.contentType === contentTypes.commit, "authenticated_content is a commit");
      if (ac.auth.contentType !== contentTypes.commit) return;
      const tag = ac.auth.confirmationTag;
      assert.ok(await impl.hash.verifyMac(hex(c.confirmation_key), tag, hex(c.confirmed_transcript_hash_after)), "confirmation_tag");
      // The two hashes verify-public.ts computes for every commit the server accepts.
      const confirmed = await createConfirmedHash(
        hex(c.interim_transcript_hash_before),
        { wireformat: ac.wireformat, content: ac.content, signature: ac.auth.signature },
        impl.hash,
      );
      eqHex(confirmed, c.confirmed_transcript_hash_after, "confirmed_transcript_hash_after");
      eqHex(await createInterimHash(confirmed, tag, impl.hash), c.interim_transcript_hash_after, "interim_transcript_hash_after");
    },
  });
});
