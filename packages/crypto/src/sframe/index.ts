/**
 * `@parley/crypto/sframe`: SFrame (RFC 9605) media frame encryption on WebCrypto, with no MLS
 * dependency, so the encoded-transform worker of the web app bundles only this. The keys come
 * from `callKeys` in `@parley/crypto` (the channel's MLS group).
 * @packageDocumentation
 */
export { encodeSFrameHeader, decodeSFrameHeader, MAX_HEADER_BYTES, type SFrameHeader } from "./header.ts";
export { SFRAME_SUITES, deriveKeySalt, importSFrameKey, type SFrameSuiteId, type SFrameKey, type SFrameKeyMaterial } from "./suites.ts";
export { sframeSeal, sframeOpen } from "./frame.ts";
export { mlsKid, parseMlsKid, type MlsKid } from "./mls-kid.ts";
export { SFrameContext, type SFrameEpochKeys, type SFrameContextOptions, type SFrameDecryptResult, type SFrameDropReason } from "./context.ts";
