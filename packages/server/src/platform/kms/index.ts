/**
 * platform/kms: envelope encryption of server secrets and the server's signing keys.
 * The KEK lives in a key file (key-file.ts) or an HSM reached through PKCS#11
 * (pkcs11.ts); it wraps per-org data keys (data-keys.ts) that seal the values
 * (envelope.ts). docs/operations.md (KMS and HSM) is the operator's side.
 */
import fs from "node:fs";
import path from "node:path";
import type { Config } from "../../config/schema.ts";
import type { Db } from "../db/index.ts";
import type { Logger } from "../log.ts";
import { createEnvelopeKms } from "./envelope.ts";
import { unwrapDataKeyRow } from "./data-keys.ts";
import { withLegacy, type KekRing } from "./kek.ts";
import { createKeyFileRing } from "./key-file.ts";
import { KmsError, type Kms, type ServerSigningKey } from "./kms.ts";
import { createPkcs11Ring, readPin } from "./pkcs11.ts";

export { KmsError, type Kms, type ServerSigningKey } from "./kms.ts";
export type { KekInfo } from "./kek.ts";
export { loadKeyFile } from "./key-file.ts";
export { dataKeyReferences, rewrapDataKeys } from "./data-keys.ts";

type KmsConfig = Pick<
  Config,
  | "dataDir"
  | "kms"
  | "kmsKeyFile"
  | "pkcs11Module"
  | "pkcs11Token"
  | "pkcs11Slot"
  | "pkcs11Pin"
  | "pkcs11PinFile"
  | "pkcs11KeyLabel"
  | "pkcs11CreateKey"
  | "keyRefreshSeconds"
>;

/** The KEK ring the config selects. Throws one KmsError naming what is wrong (and what to do) when it cannot be used. */
async function openRing(config: KmsConfig, log: Logger | undefined): Promise<KekRing> {
  const keyFile = config.kmsKeyFile ?? path.join(config.dataDir, "master.key");
  if (config.kms === "key-file") return createKeyFileRing(keyFile, { create: true, log });
  if (!config.pkcs11Module) throw new KmsError("PARLEY_KMS=pkcs11 needs PARLEY_PKCS11_MODULE: the path of the HSM's PKCS#11 library");
  if (config.pkcs11Token === undefined && config.pkcs11Slot === undefined) {
    throw new KmsError("PARLEY_KMS=pkcs11 needs the token that holds the KEK: set PARLEY_PKCS11_TOKEN (its label) or PARLEY_PKCS11_SLOT (its slot id)");
  }
  const ring = await createPkcs11Ring({
    module: config.pkcs11Module,
    token: config.pkcs11Token,
    slot: config.pkcs11Slot,
    pin: readPin(config.pkcs11Pin, config.pkcs11PinFile),
    keyLabel: config.pkcs11KeyLabel,
    createKey: config.pkcs11CreateKey,
    log,
  });
  // A key file from before the move to the HSM still opens what it sealed.
  try {
    return withLegacy(ring, fs.existsSync(keyFile) ? createKeyFileRing(keyFile, { create: false, log }) : undefined);
  } catch (err) {
    ring.close();
    throw err;
  }
}

/**
 * Whether the configured KEKs open every one of these stored data keys (e.g. those of a
 * backup, before it replaces a database); throws KmsError naming the first that does not.
 */
export async function checkDataKeysOpen(
  config: KmsConfig,
  rows: ReadonlyArray<{ id: string; scope: string; kek_id: string; wrapped_key: string }>,
): Promise<void> {
  const ring = await openRing(config, undefined);
  try {
    for (const row of rows) await unwrapDataKeyRow(ring, row);
  } finally {
    ring.close();
  }
}

/** The Kms the config selects, every data key unwrapped (a missing KEK fails here, at boot). */
export async function createKms(config: KmsConfig, db: Db, now: () => number, log?: Logger): Promise<Kms> {
  const ring = await openRing(config, log);
  try {
    return await createEnvelopeKms({ ring, db, now, refreshMs: config.keyRefreshSeconds * 1000, log });
  } catch (err) {
    ring.close();
    throw err;
  }
}

/** The server's MLS-facing keys. */
export interface ServerMlsKeys {
  /** Signs device bindings (signBinding); clients verify with its public key from GET /e2ee/config. */
  directory: ServerSigningKey;
  /**
   * The server's MLS signature key as external sender, listed in every group's
   * external_senders and used by externalRemoveProposal. Both Parley suites
   * (default and X-Wing) sign with Ed25519, so one key serves every suite.
   */
  externalSender: ServerSigningKey;
}

/** Both server MLS keys, created on first use and cached by the Kms. */
export async function serverMlsKeys(deps: { kms: Kms }): Promise<ServerMlsKeys> {
  const [directory, externalSender] = await Promise.all([deps.kms.key("directory"), deps.kms.key("external-sender")]);
  return { directory, externalSender };
}
