// ts-mls internals the RFC 9420 conformance tests need and its package entry does not
// export (package.json "exports" lists only "."): the library's own primitives for the
// vector files that test pure library internals (tree math, key schedule, secret tree,
// TreeKEM, message protection, ...), and its codecs for the structures that are not an
// MLSMessage. Test code only; production internals live in ../ts-mls-internal.ts (which
// the tests use where Parley's server uses them). Loaded from the installed dist files
// by path, like ts-mls-internal.ts: tsc fails if an upgrade moves them — re-check then.
export { deriveSecret, deriveTreeSecret, expandWithLabel } from "../../../../node_modules/ts-mls/dist/src/crypto/kdf.js";
export { decryptWithLabel, encryptWithLabel } from "../../../../node_modules/ts-mls/dist/src/crypto/hpke.js";
export { determineLength } from "../../../../node_modules/ts-mls/dist/src/codec/variableLength.js";
export { initializeEpoch } from "../../../../node_modules/ts-mls/dist/src/keySchedule.js";
export { computePskSecret } from "../../../../node_modules/ts-mls/dist/src/presharedkey.js";
export { createSecretTree, ratchetToGeneration } from "../../../../node_modules/ts-mls/dist/src/secretTree.js";
export { expandSenderDataKey, expandSenderDataNonce } from "../../../../node_modules/ts-mls/dist/src/sender.js";
export { authenticatedContentDecoder, makeProposalRef } from "../../../../node_modules/ts-mls/dist/src/authenticatedContent.js";
export {
  left,
  leafToNodeIndex,
  nodeToLeafIndex,
  nodeWidth,
  parent,
  right,
  root,
  sibling,
  toLeafIndex,
  toNodeIndex,
} from "../../../../node_modules/ts-mls/dist/src/treemath.js";
export {
  addLeafNodeMutable,
  getHpkePublicKey,
  ratchetTreeDecoder,
  ratchetTreeEncoder,
  removeLeafNodeMutable,
  resolution,
  updateLeafNodeMutable,
} from "../../../../node_modules/ts-mls/dist/src/ratchetTree.js";
export { treeHash } from "../../../../node_modules/ts-mls/dist/src/treeHash.js";
export { verifyParentHashes } from "../../../../node_modules/ts-mls/dist/src/parentHash.js";
export { verifyLeafNodeSignature } from "../../../../node_modules/ts-mls/dist/src/leafNode.js";
export { applyUpdatePath, createUpdatePath, updatePathDecoder } from "../../../../node_modules/ts-mls/dist/src/updatePath.js";
export { applyUpdatePathSecret } from "../../../../node_modules/ts-mls/dist/src/createCommit.js";
export { getCommitSecret } from "../../../../node_modules/ts-mls/dist/src/pathSecrets.js";
export { decryptGroupInfo, decryptGroupSecrets } from "../../../../node_modules/ts-mls/dist/src/welcome.js";
export { verifyGroupInfoConfirmationTag } from "../../../../node_modules/ts-mls/dist/src/groupInfo.js";
export { protectApplicationData, protectProposal, unprotectPrivateMessage } from "../../../../node_modules/ts-mls/dist/src/messageProtection.js";
export { protectProposalPublic, unprotectPublicMessage } from "../../../../node_modules/ts-mls/dist/src/messageProtectionPublic.js";
export {
  addDecoder,
  addEncoder,
  externalInitDecoder,
  externalInitEncoder,
  groupContextExtensionsDecoder,
  groupContextExtensionsEncoder,
  proposalDecoder,
  proposalEncoder,
  pskDecoder,
  pskEncoder,
  reinitDecoder,
  reinitEncoder,
  removeDecoder,
  removeEncoder,
  updateDecoder,
  updateEncoder,
} from "../../../../node_modules/ts-mls/dist/src/proposal.js";
export { commitDecoder, commitEncoder } from "../../../../node_modules/ts-mls/dist/src/commit.js";
export { groupSecretsDecoder, groupSecretsEncoder } from "../../../../node_modules/ts-mls/dist/src/groupSecrets.js";
export type { PrivateKeyPath } from "../../../../node_modules/ts-mls/dist/src/privateKeyPath.js";
