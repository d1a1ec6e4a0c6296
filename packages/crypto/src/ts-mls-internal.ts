// ts-mls's own encoders and verification helpers that its package entry does not
// export (its package.json "exports" lists only "."): the GroupInfoTBS and
// FramedContentTBS signature checks, the tree hash and the transcript hashes. The
// server's key-less checks (verify-public.ts) must use exactly the library's
// encoding, not a re-implementation that could drift from it, so they are loaded
// from the installed dist files by path. Node resolves this to the same files the
// package entry loads (one module instance); tsc and dependency-cruiser fail if an
// upgrade moves them. Keep every such import here, and re-check on a ts-mls upgrade.
export { ratchetTreeFromExtension, verifyGroupInfoSignature } from "../../../node_modules/ts-mls/dist/src/groupInfo.js";
export { verifyFramedContentSignature } from "../../../node_modules/ts-mls/dist/src/framedContent.js";
export { findSignaturePublicKey } from "../../../node_modules/ts-mls/dist/src/publicMessage.js";
export { groupContextEncoder } from "../../../node_modules/ts-mls/dist/src/groupContext.js";
export { treeHashRoot } from "../../../node_modules/ts-mls/dist/src/treeHash.js";
export { createConfirmedHash, createInterimHash } from "../../../node_modules/ts-mls/dist/src/transcriptHash.js";
// Test support only (testing/update-path.ts): HPKE open with an MLS label.
export { decryptWithLabel } from "../../../node_modules/ts-mls/dist/src/crypto/hpke.js";
