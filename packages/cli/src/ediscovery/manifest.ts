/**
 * The bundle's manifest (`manifest.json`): who made it, with what parameters, what it holds,
 * and the size and SHA-256 of every other file; `manifest.sig` is the officer's raw 64-byte
 * Ed25519 signature over the manifest's exact bytes. The signer's public key and fingerprint
 * are inside the signed bytes, so the signature also binds who signed.
 */
import { sign, type KeyObject } from "node:crypto";
import type { ExportParameters } from "./items.ts";
import { officerKeyFingerprint, publicKeyPem } from "./officer-key.ts";

export const MANIFEST_FORMAT = "parley-ediscovery-bundle";
export const MANIFEST_VERSION = 1;
export const MANIFEST_FILE = "manifest.json";
export const SIGNATURE_FILE = "manifest.sig";

/** A file of the bundle as the manifest lists it. */
export interface ManifestFile {
  /** Bundle-relative, '/'-separated. */
  path: string;
  size: number;
  sha256: string;
}

/** What the bundle holds, counted. */
export interface BundleCounts {
  channels: number;
  items: number;
  messages: number;
  edits: number;
  deletes: number;
  reactions: number;
  /** Attachments written (each distinct file once). */
  attachments: number;
  /** Attachments whose bytes could not be produced (listed with the reason). */
  attachmentsUnavailable: number;
  /** Items whose content could not be read (kept, with the reason). */
  unavailable: number;
  deletedLater: number;
  legalHold: number;
  signatureFailures: number;
}

/** A channel of the bundle and where its renderings are. */
export interface ManifestChannel {
  id: string;
  name: string;
  kind: string;
  members: number;
  items: number;
  html: string;
}

/** manifest.json. */
export interface BundleManifest {
  format: typeof MANIFEST_FORMAT;
  version: number;
  generator: string;
  createdAt: string;
  signer: { algorithm: "Ed25519"; publicKey: string; fingerprint: string };
  parameters: ExportParameters;
  counts: BundleCounts;
  channels: ManifestChannel[];
  files: ManifestFile[];
}

/** The manifest's exact bytes (two-space JSON and a final newline) and their signature. */
export function signManifest(
  key: KeyObject,
  fields: Omit<BundleManifest, "format" | "version" | "signer">,
): { manifest: BundleManifest; bytes: Buffer; signature: Buffer } {
  const manifest: BundleManifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    generator: fields.generator,
    createdAt: fields.createdAt,
    signer: { algorithm: "Ed25519", publicKey: publicKeyPem(key), fingerprint: officerKeyFingerprint(key) },
    parameters: fields.parameters,
    counts: fields.counts,
    channels: fields.channels,
    files: fields.files,
  };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2) + "\n", "utf8");
  return { manifest, bytes, signature: sign(null, bytes, key) };
}

/** README.txt: what the bundle is and how to check it without Parley. */
export function readme(generator: string, createdAt: string, fingerprint: string): string {
  return `eDiscovery bundle made by ${generator} at ${createdAt} (UTC).

messages.jsonl    one JSON object per archive item (message, edit, deletion, reaction), in
                  seq order per channel, with its sender, device, time, text exactly as
                  written, attachments, legal-hold and deletion flags, the result of the
                  check of the sender device's signature on the archive copy, and, when
                  the content could not be read, why ("unavailable").
attachments/      the decrypted files, named <sha256>-<name>.
rendering/        a readable HTML transcript per channel and one .eml message per item.
manifest.json     parameters, counts, and the size and SHA-256 of every file above.
manifest.sig      the exporting officer's Ed25519 signature over manifest.json's exact bytes.

The signer's key fingerprint is ${fingerprint}
(SHA-256 of the raw public key); compare it with the one the officer published.

Check without Parley (OpenSSL 3 and coreutils):
  python3 -c 'import json;print(json.load(open("manifest.json"))["signer"]["publicKey"],end="")' > signer.pem
  openssl pkeyutl -verify -pubin -inkey signer.pem -rawin -in manifest.json -sigfile manifest.sig
  then compare \`sha256sum\` of each file with manifest.json's "files".
With Parley: parley compliance verify-bundle DIR
`;
}
