// The server as MLS external sender (RFC 9420 §12.1.8.1): it signs Remove proposals
// for kicked users, departed users and revoked devices; the next member commits them.
import {
  defaultProposalTypes,
  encode,
  mlsMessageEncoder,
  proposeExternal,
  protocolVersions,
  defaultCredentialTypes,
  defaultExtensionTypes,
  type GroupInfo,
} from "ts-mls";
import { ed25519 } from "@noble/curves/ed25519.js";
import { toHex } from "./bytes.ts";
import { encodeCredentialIdentity } from "./credential.ts";
import { E2eeError } from "./errors.ts";
import { groupIdBytes } from "./group-id.ts";
import { inspectMlsMessage } from "./inspect.ts";
import { suiteId, suiteImpl, type SuiteName } from "./suites.ts";

/** A signed external Remove proposal, ready to fan out to the group's members. */
export interface ExternalProposal {
  /** PublicMessage (MLSMessage) bytes. */
  message: Uint8Array;
  /** Its ProposalRef (hex): a later commit naming this ref in `proposalRefs` committed it. */
  proposalRefHex: string;
}

/**
 * Builds the server's Remove proposal for one leaf. For an external sender the signed
 * content covers only (group id, epoch, sender index, proposal) — no group secret and
 * no tree — so the server needs just its Ed25519 private key, the group id, the
 * channel's current epoch (from the last accepted commit) and the leaf index (from
 * `groupInfoMembers` on the stored GroupInfo). `senderIndex` is the position of the
 * server key among the group's external senders (0 when there is one).
 * Members reject it if the epoch moved on: re-issue it for the new epoch.
 */
export async function externalRemoveProposal(params: {
  serverPrivateKey: Uint8Array;
  suite: SuiteName;
  orgId: string;
  groupId: Uint8Array | string;
  epoch: bigint;
  leafIndex: number;
  senderIndex?: number;
}): Promise<ExternalProposal> {
  const { serverPrivateKey, suite, orgId, epoch, leafIndex } = params;
  if (!Number.isInteger(leafIndex) || leafIndex < 0) throw new E2eeError("bad_input", "bad leaf index");
  const senderIndex = params.senderIndex ?? 0;
  const impl = await suiteImpl(suite);
  const publicKey = ed25519.getPublicKey(serverPrivateKey);
  const sender = {
    extensionType: defaultExtensionTypes.external_senders,
    extensionData: {
      signaturePublicKey: publicKey,
      credential: { credentialType: defaultCredentialTypes.basic, identity: encodeCredentialIdentity({ kind: "server", orgId }) },
    },
  };
  // proposeExternal reads the sender index from the position of the server's key among
  // the context extensions; fill the slots before it with copies it will not match.
  const filler = { ...sender, extensionData: { ...sender.extensionData, signaturePublicKey: new Uint8Array(32) } };
  const groupInfo: GroupInfo = {
    groupContext: {
      version: protocolVersions.mls10,
      cipherSuite: suiteId(suite),
      groupId: groupIdBytes(params.groupId),
      epoch,
      treeHash: new Uint8Array(),
      confirmedTranscriptHash: new Uint8Array(),
      extensions: [...Array.from({ length: senderIndex }, () => filler), sender],
    },
    extensions: [],
    confirmationTag: new Uint8Array(),
    signer: 0,
    signature: new Uint8Array(),
  };
  const msg = await proposeExternal(
    groupInfo,
    { proposalType: defaultProposalTypes.remove, remove: { removed: leafIndex } },
    publicKey,
    serverPrivateKey,
    impl,
  );
  const message = encode(mlsMessageEncoder, msg);
  const info = await inspectMlsMessage(message, { suite });
  return { message, proposalRefHex: info.proposalRefHex ?? toHex(new Uint8Array()) };
}
