/**
 * What every command gets: its dependencies, passed in (no singletons), and
 * who acts (core/actor.ts).
 */
import type { Config } from "./config/schema.ts";
import type { Storage, Db } from "./platform/db/index.ts";
import type { Bus } from "./platform/bus/bus.ts";
import type { BusRelay } from "./platform/bus/outbox.ts";
import type { Logger } from "./platform/log.ts";
import type { Metrics } from "./platform/metrics.ts";
import type { Limits } from "./platform/limits/index.ts";
import type { TokenKeys } from "./modules/accounts/tokens.ts";
import type { Kms } from "./platform/kms/index.ts";
import type { BlobStore } from "./platform/blobs/blob-store.ts";
import type { Mailer } from "./platform/mail/index.ts";
import type { PublicUrl } from "./platform/public-url.ts";
import type { Sfu } from "./platform/sfu/types.ts";

/** Server-wide dependencies: platform seams only. Built by composeDeps() (compose.ts). */
export interface Deps {
  config: Config;
  storage: Storage;
  db: Db;
  bus: Bus;
  /** Publishes what committed commands emitted (their bus outbox rows) and sweeps rows others left. */
  relay: BusRelay;
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
  /** The web app's public URL (links in email, WebAuthn and SSO origins). */
  publicUrl: PublicUrl;
  /** Outgoing email (platform/mail); sent by the `mail.send` job. */
  mail: Mailer;
  /** The SFU of group calls (platform/sfu, Janus), when PARLEY_JANUS_URL is set. */
  sfu?: Sfu;
}

export type { Actor, DeviceActor, SystemActor } from "./core/actor.ts";
