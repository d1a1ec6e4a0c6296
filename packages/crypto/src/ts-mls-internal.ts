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
// Opening a Welcome's group secrets and GroupInfo, so welcome-tree.ts can check a ratchet
// tree sent beside the Welcome against the Welcome's own (signed) GroupContext before
// joinGroup uses it.
export { decryptGroupInfo, decryptGroupSecrets } from "../../../node_modules/ts-mls/dist/src/welcome.js";
// The labelled crypto helpers (RFC 9420 §5.1-5.2, §8), through which ts-mls calls a
// crypto provider: provider.test.ts runs the RFC crypto-basics vectors through them;
// testing/update-path.ts opens UpdatePath secrets with decryptWithLabel.
export { expandWithLabel, deriveSecret, deriveTreeSecret } from "../../../node_modules/ts-mls/dist/src/crypto/kdf.js";
export { refhash } from "../../../node_modules/ts-mls/dist/src/crypto/hash.js";
export { signWithLabel, verifyWithLabel } from "../../../node_modules/ts-mls/dist/src/crypto/signature.js";
export { encryptWithLabel, decryptWithLabel } from "../../../node_modules/ts-mls/dist/src/crypto/hpke.js";
// The default provider's HPKE (@hpke/core on WebCrypto) for any algorithm triple: the key
// locker and device hand-off (history/hpke.ts) use DHKEM-X25519 with AES-256-GCM, which no
// MLS suite Parley runs combines.
export { makeHpke } from "../../../node_modules/ts-mls/dist/src/crypto/implementation/default/makeHpke.js";
