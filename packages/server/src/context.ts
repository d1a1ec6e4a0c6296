/**
 * What every command gets: its dependencies, passed in (no singletons), and
 * for authenticated calls the principal.
 */
import type { Config } from "./config/schema.ts";
import type { Storage, Db } from "./platform/db/index.ts";
import type { Bus } from "./platform/bus/bus.ts";
import type { Logger } from "./platform/log.ts";
import type { Metrics } from "./platform/metrics.ts";
import type { Limits } from "./platform/limits/index.ts";
import type { TokenKeys } from "./modules/accounts/tokens.ts";
import type { Kms } from "./platform/kms/index.ts";
import type { BlobStore } from "./platform/blobs/blob-store.ts";
import type { OrgRole } from "@parley/protocol";

/** Server-wide dependencies. Built once in main.ts. */
export interface Deps {
  config: Config;
  storage: Storage;
  db: Db;
  bus: Bus;
  log: Logger;
  metrics: Metrics;
  limits: Limits;
  /** Envelope encryption of server secrets and the server's signing keys (platform/kms). */
  kms: Kms;
  /** JWT signing/verification keys. */
  keys: TokenKeys;
  /** Unique id of this node (for presence across nodes). */
  nodeId: string;
  /** Current time, ms (overridable in tests). */
  now(): number;
  /** Attachment ciphertext storage (platform/blobs). */
  blobs: BlobStore;
}

/** The authenticated caller: one session on one device of one user in one org. */
export interface Principal {
  orgId: string;
  userId: string;
  deviceId: string;
  sessionId: string;
  role: OrgRole;
}
