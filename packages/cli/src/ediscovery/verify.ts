/**
 * Verification of an eDiscovery bundle (`parley compliance verify-bundle DIR`): the manifest's
 * signature, then every file against the manifest. Reports every problem found rather than
 * stopping at the first, so a reviewer sees the whole extent of a change.
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import fsp from "node:fs/promises";
import path from "node:path";
import { hashFile, listFiles } from "./files.ts";
import { MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_VERSION, SIGNATURE_FILE, type BundleManifest, type ManifestFile } from "./manifest.ts";
import { officerKeyFingerprint } from "./officer-key.ts";

/** Stable codes of {@link BundleProblem}. */
export type BundleProblemCode =
  /** manifest.json is missing or unreadable. */
  | "manifest_missing"
  /** manifest.json is not a manifest this version reads (bad JSON, another format or version, bad fields). */
  | "manifest_malformed"
  /** manifest.sig is missing. */
  | "signature_missing"
  /** manifest.sig is not a valid signature of manifest.json by the key the manifest names: the manifest was changed. */
  | "signature_invalid"
  /** The fingerprint written in the manifest is not that of its key, or not the one the caller expects. */
  | "signer_mismatch"
  /** A file the manifest lists is not there. */
  | "file_missing"
  /** A file's size or SHA-256 differs from the manifest's. */
  | "file_altered"
  /** A file (or link, device…) is there that the manifest does not list. */
  | "file_extra"
  /** The manifest lists a path that leaves the bundle or names the manifest itself. */
  | "path_unsafe";

/** One thing wrong with a bundle. */
export interface BundleProblem {
  code: BundleProblemCode;
  /** The bundle path concerned, or null for the bundle as a whole. */
  path: string | null;
  message: string;
}

/** The result of {@link verifyEdiscoveryBundle}. */
export interface BundleVerification {
  ok: boolean;
  problems: BundleProblem[];
  /** Who signed (as the manifest says; trusted only when `ok` and the fingerprint is the one expected). */
  signer: { fingerprint: string; publicKey: string } | null;
  /** Files checked against the manifest. */
  checked: number;
  manifest: BundleManifest | null;
}

/** Options of {@link verifyEdiscoveryBundle}. */
export interface VerifyOptions {
  /** The officer fingerprint the reviewer expects (spaces and case ignored). */
  expectedFingerprint?: string;
  /** Called after each file is hashed. */
  onProgress?: (p: { done: number; total: number }) => void;
}

function isManifest(m: unknown): m is BundleManifest {
  const x = m as BundleManifest;
  return (
    typeof x === "object" &&
    x !== null &&
    x.format === MANIFEST_FORMAT &&
    x.version === MANIFEST_VERSION &&
    typeof x.signer?.publicKey === "string" &&
    typeof x.signer.fingerprint === "string" &&
    Array.isArray(x.files) &&
    x.files.every((f: ManifestFile) => typeof f?.path === "string" && Number.isSafeInteger(f.size) && typeof f.sha256 === "string")
  );
}

function safePath(p: string): boolean {
  const parts = p.split("/");
  return p !== MANIFEST_FILE && p !== SIGNATURE_FILE && !p.includes("\\") && parts.every((s) => s !== "" && s !== "." && s !== "..") && !/^[A-Za-z]:/.test(p);
}

const normalFingerprint = (f: string) => f.replace(/\s+/g, "").toLowerCase();

/** Checks the signature of a bundle's manifest and every file against it. Never throws for a bad bundle. */
export async function verifyEdiscoveryBundle(dir: string, options: VerifyOptions = {}): Promise<BundleVerification> {
  const problems: BundleProblem[] = [];
  const fail = (code: BundleProblemCode, p: string | null, message: string) => problems.push({ code, path: p, message });
  const done = (manifest: BundleManifest | null, signer: BundleVerification["signer"], checked: number): BundleVerification => ({
    ok: problems.length === 0,
    problems,
    signer,
    checked,
    manifest,
  });

  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(path.join(dir, MANIFEST_FILE));
  } catch {
    fail("manifest_missing", MANIFEST_FILE, "manifest.json is missing: this is not a complete bundle");
    return done(null, null, 0);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(bytes.toString("utf8"));
  } catch {
    manifest = undefined;
  }
  if (!isManifest(manifest)) {
    fail("manifest_malformed", MANIFEST_FILE, `manifest.json is not a ${MANIFEST_FORMAT} manifest of version ${MANIFEST_VERSION}`);
    return done(null, null, 0);
  }

  let key: KeyObject | undefined;
  try {
    key = createPublicKey(manifest.signer.publicKey);
    if (key.asymmetricKeyType !== "ed25519") throw new Error("not Ed25519");
  } catch {
    fail("manifest_malformed", MANIFEST_FILE, "the manifest's signer key is not an Ed25519 public key");
    key = undefined;
  }
  const signer = key ? { fingerprint: officerKeyFingerprint(key), publicKey: manifest.signer.publicKey } : null;
  if (signer && normalFingerprint(signer.fingerprint) !== normalFingerprint(manifest.signer.fingerprint))
    fail("signer_mismatch", MANIFEST_FILE, "the fingerprint written in the manifest is not its key's");
  if (signer && options.expectedFingerprint !== undefined && normalFingerprint(options.expectedFingerprint) !== normalFingerprint(signer.fingerprint))
    fail("signer_mismatch", MANIFEST_FILE, `signed by ${signer.fingerprint}, not by the expected ${options.expectedFingerprint}`);

  let signature: Buffer | undefined;
  try {
    signature = await fsp.readFile(path.join(dir, SIGNATURE_FILE));
  } catch {
    fail("signature_missing", SIGNATURE_FILE, "manifest.sig is missing");
  }
  if (signature && key && !verify(null, bytes, key, signature))
    fail("signature_invalid", SIGNATURE_FILE, "the signature does not match manifest.json: the manifest was changed or signed by another key");

  const listed = new Map<string, ManifestFile>();
  for (const f of manifest.files) {
    if (!safePath(f.path)) fail("path_unsafe", f.path, "the manifest names a path outside the bundle's files");
    else listed.set(f.path, f);
  }
  const found = await listFiles(dir);
  const foundPaths = new Set(found.map((f) => f.path));
  const present = new Set<string>();
  for (const f of found) {
    if (f.path === MANIFEST_FILE || f.path === SIGNATURE_FILE) continue;
    if (!listed.has(f.path)) fail("file_extra", f.path, f.regular ? "a file the manifest does not list" : "not a regular file (link, device…), not listed");
    else if (!f.regular) fail("file_altered", f.path, "listed as a file but is a link or special file");
    else present.add(f.path);
  }
  let checked = 0;
  for (const [p, f] of listed) {
    if (!present.has(p)) {
      if (!foundPaths.has(p)) fail("file_missing", p, "listed in the manifest but missing");
    } else {
      const actual = await hashFile(path.join(dir, ...p.split("/")));
      if (actual.size !== f.size || actual.sha256 !== f.sha256)
        fail("file_altered", p, actual.size !== f.size ? `size ${actual.size}, manifest says ${f.size}` : "SHA-256 differs from the manifest's");
    }
    checked++;
    options.onProgress?.({ done: checked, total: listed.size });
  }
  return done(manifest, signer, checked);
}
