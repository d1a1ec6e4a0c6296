/**
 * platform/kms: envelope encryption of server secrets and the server's
 * signing keys. Today the master key is a file; a PKCS#11 HSM implementation
 * is a later issue (the Kms interface is the seam).
 */
import path from "node:path";
import type { Config } from "../../config/schema.ts";
import type { Db } from "../db/index.ts";
import type { Logger } from "../log.ts";
import { createKeyFileKms } from "./key-file.ts";
import type { Kms, ServerSigningKey } from "./kms.ts";

export { KmsError, type Kms, type ServerSigningKey } from "./kms.ts";
export { loadMasterKey } from "./key-file.ts";

/** The Kms the config selects: the key file PARLEY_KMS_KEY_FILE, or DATA_DIR/master.key. */
export function createKms(config: Pick<Config, "dataDir" | "kmsKeyFile">, db: Db, now: () => number, log?: Logger): Kms {
  const keyFile = config.kmsKeyFile ?? path.join(config.dataDir, "master.key");
  return createKeyFileKms({ keyFile, db, now, log });
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
