/** modules/keys: `parley keys rotate | retire | status` (KEKs and signing keys; docs/operations.md, KMS and HSM). */
export { kekStatus, retireKeks, rotateKek, type KekStatus } from "./kek.ts";
export { rotateSigningKey, signingKeyStatus, type RotatableSigningKey } from "./signing.ts";
