// RFC 9420 conformance, messages on the wire: messages.json, message-protection.json and
// welcome.json (../shared/mls-vectors/test-vectors/). No known failures.
//
// Parley's own code under test: MLSMessage decoding (wire.ts, which every device and the
// server use), the server's key-less reading of messages (inspect.ts: public structure,
// PrivateMessage headers, ProposalRefs, Welcome routing), its ratchet-tree reader
// (tree.ts), its KeyPackage signature check (inspect.ts) and the signature checks the
// server applies to GroupInfos and handshakes (ts-mls-internal.ts, verify-public.ts).
// Message protection itself and the codecs of structures that are not an MLSMessage
// are ts-mls internals, called directly (testing/ts-mls-vectors.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  contentTypes,
  defaultCapabilities,
  defaultCredentialTypes,
  defaultKeyRetentionConfig,
  defaultPaddingConfig,
  encode,
  leafNodeSources,
  makeKeyPackageRef,
  mlsMessageEncoder,
  nodeTypes,
  protocolVersions,
  wireformats,
  type CiphersuiteId,
  type CiphersuiteImpl,
  type Decoder,
  type Encoder,
  type GroupContext,
  type MlsMessage,
  type RatchetTree,
} from "ts-mls";
import { toHex } from "../bytes.ts";
import { isE2eeError } from "../errors.ts";
import { inspectMlsMessage, keyPackageSignatureValid, privateMessageHeader } from "../inspect.ts";
import { treeLeaves } from "../tree.ts";
import { verifyFramedContentSignature, verifyGroupInfoSignature } from "../ts-mls-internal.ts";
import { decodeMlsMessage } from "../wire.ts";
import { hex, runVectorFile } from "../testing/mls-vectors.ts";
import {
  addDecoder,
  addEncoder,
  commitDecoder,
  commitEncoder,
  createSecretTree,
  decryptGroupInfo,
  decryptGroupSecrets,
  externalInitDecoder,
  externalInitEncoder,
  groupContextExtensionsDecoder,
  groupContextExtensionsEncoder,
  groupSecretsDecoder,
  groupSecretsEncoder,
  makeProposalRef,
  proposalDecoder,
  proposalEncoder,
  protectApplicationData,
  protectProposal,
  protectProposalPublic,
  pskDecoder,
  pskEncoder,
  ratchetTreeDecoder,
  ratchetTreeEncoder,
  reinitDecoder,
  reinitEncoder,
  removeDecoder,
  removeEncoder,
  unprotectPrivateMessage,
  unprotectPublicMessage,
  updateDecoder,
  updateEncoder,
  verifyGroupInfoConfirmationTag,
} from "../testing/ts-mls-vectors.ts";

const eqHex = (actual: Uint8Array, expected: string, what: string) => assert.equal(toHex(actual), expected, what);

/** The server reads any well-formed message, or refuses it cleanly (a foreign credential in an Add: Parley devices only). */
async function serverInspects(bytes: Uint8Array, what: string) {
  try {
    return await inspectMlsMessage(bytes);
  } catch (err) {
    if (isE2eeError(err) && err.code === "bad_input" && /credential/i.test(err.message)) return undefined;
    assert.fail(`${what}: the server's inspectMlsMessage fails: ${String(err)}`);
  }
}

const MLS_MESSAGES = {
  mls_welcome: [wireformats.mls_welcome, "welcome"],
  mls_group_info: [wireformats.mls_group_info, "group_info"],
  mls_key_package: [wireformats.mls_key_package, "key_package"],
  public_message_application: [wireformats.mls_public_message, "public"],
  public_message_proposal: [wireformats.mls_public_message, "public"],
  public_message_commit: [wireformats.mls_public_message, "public"],
  private_message: [wireformats.mls_private_message, "private"],
} as const;

const CODECS: Record<string, [Decoder<unknown>, Encoder<never>]> = {
  group_secrets: [groupSecretsDecoder, groupSecretsEncoder],
  add_proposal: [addDecoder, addEncoder],
  update_proposal: [updateDecoder, updateEncoder],
  remove_proposal: [removeDecoder, removeEncoder],
  pre_shared_key_proposal: [pskDecoder, pskEncoder],
  re_init_proposal: [reinitDecoder, reinitEncoder],
  external_init_proposal: [externalInitDecoder, externalInitEncoder],
  group_context_extensions_proposal: [groupContextExtensionsDecoder, groupContextExtensionsEncoder],
  commit: [commitDecoder, commitEncoder],
};

test("RFC 9420 vectors: messages.json", async (t) => {
  await runVectorFile<Record<string, string>>(t, {
    file: "test-vectors/messages.json",
    async run(c) {
      for (const [field, [wireformat, inspected]] of Object.entries(MLS_MESSAGES)) {
        const bytes = hex(c[field]!);
        const msg = decodeMlsMessage(bytes);
        assert.equal(msg.wireformat, wireformat, `${field}: wire format`);
        eqHex(encode(mlsMessageEncoder, msg), c[field]!, `${field}: decode (wire.ts) and re-encode`);
        const info = await serverInspects(bytes, field);
        if (info) assert.equal(info.wireFormat, inspected, `${field}: wire format as the server reads it`);
        const header = privateMessageHeader(bytes);
        assert.equal(header !== null, wireformat === wireformats.mls_private_message, `${field}: privateMessageHeader only for a PrivateMessage`);
        if (header && msg.wireformat === wireformats.mls_private_message) {
          assert.deepEqual([toHex(header.groupId), header.epoch], [toHex(msg.privateMessage.groupId), msg.privateMessage.epoch], `${field}: header`);
        }
      }
      for (const [field, [decoder, encoder]] of Object.entries(CODECS)) {
        const value = decoder(hex(c[field]!), 0)?.[0];
        assert.ok(value !== undefined, `${field}: decodes`);
        eqHex(encode(encoder, value as never), c[field]!, `${field}: re-encodes`);
      }
      const tree = ratchetTreeDecoder(hex(c.ratchet_tree!), 0)?.[0];
      assert.ok(tree, "ratchet_tree decodes");
      eqHex(encode(ratchetTreeEncoder, tree), c.ratchet_tree!, "ratchet_tree re-encodes");
      assert.deepEqual(treeLeaves(hex(c.ratchet_tree!)).map(describeLeaf), leavesOf(tree), "ratchet_tree leaves as Parley's reader (tree.ts) lists them");
    },
  });
});

type LeafSummary = [number, string, number, string];
const describeLeaf = (l: ReturnType<typeof treeLeaves>[number]): LeafSummary => [
  l.leafIndex,
  toHex(l.signaturePublicKey),
  l.credentialType,
  l.credentialType === defaultCredentialTypes.basic ? toHex(l.credentialData) : "",
];

function leavesOf(tree: RatchetTree): LeafSummary[] {
  const out: LeafSummary[] = [];
  for (const [i, node] of tree.entries()) {
    if (node?.nodeType !== nodeTypes.leaf) continue;
    const cred = node.leaf.credential;
    out.push([i / 2, toHex(node.leaf.signaturePublicKey), cred.credentialType, "identity" in cred ? toHex(cred.identity) : ""]);
  }
  return out;
}

interface MessageProtection {
  cipher_suite: number;
  group_id: string;
  epoch: number;
  tree_hash: string;
  confirmed_transcript_hash: string;
  signature_priv: string;
  signature_pub: string;
  encryption_secret: string;
  sender_data_secret: string;
  membership_key: string;
  proposal: string;
  proposal_priv: string;
  proposal_pub: string;
  commit: string;
  commit_priv: string;
  commit_pub: string;
  application: string;
  application_priv: string;
}

// The PrivateMessages come from leaf 1; unprotecting checks that a leaf sits there.
const LEAF_1_TREE: RatchetTree = [
  undefined,
  undefined,
  {
    nodeType: nodeTypes.leaf,
    leaf: {
      leafNodeSource: leafNodeSources.commit,
      parentHash: new Uint8Array(),
      hpkePublicKey: new Uint8Array(),
      signaturePublicKey: new Uint8Array(),
      capabilities: defaultCapabilities(),
      extensions: [],
      signature: new Uint8Array(),
      credential: { credentialType: defaultCredentialTypes.basic, identity: new Uint8Array() },
    },
  },
];

test("RFC 9420 vectors: message-protection.json", async (t) => {
  await runVectorFile<MessageProtection>(t, {
    file: "test-vectors/message-protection.json",
    suiteOf: (c) => c.cipher_suite,
    async run(c, suite) {
      const { impl, source } = suite!;
      const gc: GroupContext = {
        version: protocolVersions.mls10,
        cipherSuite: c.cipher_suite as CiphersuiteId,
        groupId: hex(c.group_id),
        epoch: BigInt(c.epoch),
        treeHash: hex(c.tree_hash),
        confirmedTranscriptHash: hex(c.confirmed_transcript_hash),
        extensions: [],
      };
      for (const kind of ["proposal", "commit"] as const) {
        const bytes = hex(c[`${kind}_pub`]);
        const msg = decodeMlsMessage(bytes);
        assert.equal(msg.wireformat, wireformats.mls_public_message, `${kind}_pub is a PublicMessage`);
        if (msg.wireformat !== wireformats.mls_public_message) return;
        const pm = msg.publicMessage;
        const content = await unprotectPublicMessage(hex(c.membership_key), gc, [], pm, impl, hex(c.signature_pub));
        const body = content.content;
        eqHex(
          body.contentType === contentTypes.proposal ? encode(proposalEncoder, body.proposal) : encode(commitEncoder, body.commit),
          c[kind],
          `${kind}_pub content`,
        );
        // What the server checks without the membership key: the signature (verify-public.ts) and, for a proposal, its ProposalRef (inspect.ts).
        assert.ok(
          await verifyFramedContentSignature(hex(c.signature_pub), wireformats.mls_public_message, pm.content, pm.auth, gc, impl.signature),
          `${kind}_pub signature as the server verifies it`,
        );
        if (kind === "proposal" && source === "parley") {
          const info = await inspectMlsMessage(bytes, { suite: "default" });
          eqHex(
            await makeProposalRef({ wireformat: wireformats.mls_public_message, content: pm.content, auth: pm.auth }, impl.hash),
            info.proposalRefHex!,
            "ProposalRef as the server computes it (inspect.ts)",
          );
        }
      }
      for (const kind of ["application", "proposal", "commit"] as const) {
        const bytes = hex(c[`${kind}_priv`]);
        const msg = decodeMlsMessage(bytes);
        assert.equal(msg.wireformat, wireformats.mls_private_message, `${kind}_priv is a PrivateMessage`);
        if (msg.wireformat !== wireformats.mls_private_message) return;
        const header = privateMessageHeader(bytes);
        assert.deepEqual(
          header && [toHex(header.groupId), header.epoch, header.contentType],
          [c.group_id, BigInt(c.epoch), kind],
          `${kind}_priv header as the server reads it (inspect.ts)`,
        );
        const { content } = await unprotectPrivateMessage(
          hex(c.sender_data_secret),
          msg.privateMessage,
          createSecretTree(2, hex(c.encryption_secret)),
          LEAF_1_TREE,
          gc,
          defaultKeyRetentionConfig,
          impl,
          hex(c.signature_pub),
        );
        const body = content.content;
        const got =
          body.contentType === contentTypes.application
            ? body.applicationData
            : body.contentType === contentTypes.proposal
              ? encode(proposalEncoder, body.proposal)
              : encode(commitEncoder, body.commit);
        eqHex(got, c[kind], `${kind}_priv content`);
      }
      await protectRoundTrips(c, gc, impl);
    },
  });
});

/** Protect with the vector's keys, then unprotect: the content comes back. */
async function protectRoundTrips(c: MessageProtection, gc: GroupContext, impl: CiphersuiteImpl) {
  const proposal = proposalDecoder(hex(c.proposal), 0)![0];
  const signKey = hex(c.signature_priv);
  const sds = hex(c.sender_data_secret);
  const app = await protectApplicationData(
    signKey,
    sds,
    hex(c.application),
    new Uint8Array(),
    gc,
    createSecretTree(2, hex(c.encryption_secret)),
    1,
    defaultPaddingConfig,
    impl,
  );
  const appBack = await unprotectPrivateMessage(
    sds,
    app.privateMessage,
    createSecretTree(2, hex(c.encryption_secret)),
    LEAF_1_TREE,
    gc,
    defaultKeyRetentionConfig,
    impl,
    hex(c.signature_pub),
  );
  assert.ok(appBack.content.content.contentType === contentTypes.application);
  eqHex(appBack.content.content.applicationData, c.application, "application round trip");
  const priv = await protectProposal(
    signKey,
    sds,
    proposal,
    new Uint8Array(),
    gc,
    createSecretTree(2, hex(c.encryption_secret)),
    1,
    defaultPaddingConfig,
    impl,
  );
  const privBack = await unprotectPrivateMessage(
    sds,
    priv.privateMessage,
    createSecretTree(2, hex(c.encryption_secret)),
    LEAF_1_TREE,
    gc,
    defaultKeyRetentionConfig,
    impl,
    hex(c.signature_pub),
  );
  assert.ok(privBack.content.content.contentType === contentTypes.proposal);
  eqHex(encode(proposalEncoder, privBack.content.content.proposal), c.proposal, "private proposal round trip");
  const pub = await protectProposalPublic(signKey, hex(c.membership_key), gc, new Uint8Array(), proposal, 1, impl);
  const pubBack = await unprotectPublicMessage(hex(c.membership_key), gc, [], pub.publicMessage, impl, hex(c.signature_pub));
  assert.ok(pubBack.content.contentType === contentTypes.proposal);
  eqHex(encode(proposalEncoder, pubBack.content.proposal), c.proposal, "public proposal round trip");
}

test("RFC 9420 vectors: welcome.json", async (t) => {
  await runVectorFile<{ cipher_suite: number; init_priv: string; key_package: string; signer_pub: string; welcome: string }>(t, {
    file: "test-vectors/welcome.json",
    suiteOf: (c) => c.cipher_suite,
    async run(c, suite) {
      const { impl } = suite!;
      const kp = decodeMlsMessage(hex(c.key_package)) as MlsMessage;
      const welcome = decodeMlsMessage(hex(c.welcome)) as MlsMessage;
      assert.ok(kp.wireformat === wireformats.mls_key_package && welcome.wireformat === wireformats.mls_welcome, "a KeyPackage and a Welcome");
      assert.ok(await keyPackageSignatureValid(kp.keyPackage, impl.signature), "KeyPackage signature as the server checks it (inspect.ts)");
      const ref = await makeKeyPackageRef(kp.keyPackage, impl.hash);
      assert.ok((await inspectMlsMessage(hex(c.welcome))).welcomeFor?.includes(toHex(ref)), "the server routes the Welcome to the KeyPackage (inspect.ts)");
      const secrets = await decryptGroupSecrets(await impl.hpke.importPrivateKey(hex(c.init_priv)), ref, welcome.welcome, impl.hpke);
      assert.ok(secrets, "group secrets decrypt");
      const pskSecret = new Uint8Array(impl.kdf.size);
      const gi = await decryptGroupInfo(welcome.welcome, secrets.joinerSecret, pskSecret, impl);
      assert.ok(gi, "GroupInfo decrypts");
      assert.ok(await verifyGroupInfoConfirmationTag(gi, secrets.joinerSecret, pskSecret, impl), "GroupInfo confirmation tag");
      assert.ok(await verifyGroupInfoSignature(gi, hex(c.signer_pub), impl.signature), "GroupInfo signature as the server verifies it (verify-public.ts)");
    },
  });
});
