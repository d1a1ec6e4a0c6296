/** Test helper: a compliance archive policy signed with an archive secret's signer key (ADR 0008). */
import { archiveKeysFromSecret, generateArchiveSecret, signArchivePolicy, type ArchiveKeys, type ArchivePolicyFields } from "@parley/crypto";
import type { ArchivePolicy, SignedArchivePolicy } from "@parley/protocol";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** Fresh archive keys (from a fresh secret). */
export const newArchiveKeys = (): ArchiveKeys => archiveKeysFromSecret(generateArchiveSecret());

/** The wire form of a policy of `orgId`, signed by `signer` (default: the keys' own signer). */
export function signedArchivePolicy(keys: ArchiveKeys, orgId: string, version: number, scope: ArchivePolicy["scope"], signer = keys): SignedArchivePolicy {
  const fields: ArchivePolicyFields = {
    orgId,
    version,
    name: "Acme compliance archive",
    archiveKey: keys.archive.publicKey,
    signerKey: signer.signer.publicKey,
    scope,
    issuedAt: Date.now(),
  };
  const signature = signArchivePolicy(fields, signer.signer.privateKey);
  return { policy: { ...fields, scope, archiveKey: b64(fields.archiveKey), signerKey: b64(fields.signerKey) }, signature: b64(signature) };
}
