/**
 * Client side of the device directory: the server signs (org, user, device,
 * MLS signature key) with its directory key; this device verifies every
 * binding it uses and refuses MLS leaves whose key is not vouched for
 * (ARCHITECTURE §1.2). Bindings are cached per device and refetched on a miss.
 */
import { verifyBinding, type LeafCandidate } from "@parley/crypto";
import type { E2eeServerApi, WireBinding } from "./server-api.ts";
import { equalBytes } from "./bytes.ts";

/** The directory keys bindings verify with (directory-trust.ts), and a way to fetch them again. */
export interface DirectoryVerifiers {
  current(): Uint8Array[];
  /** Fetch the org's E2EE config again (a rotated directory key); the engine updates `current`. */
  refresh(): Promise<unknown>;
}

/** At most one config refetch per this many ms because of bindings that did not verify. */
const TRUST_REFRESH_MS = 60_000;

/** Verified bindings of the org's devices, by device id. */
export class DeviceDirectory {
  readonly #server: E2eeServerApi;
  readonly #orgId: string;
  readonly #keys: DirectoryVerifiers;
  #trustRefreshedAt = -Infinity;
  readonly #byDevice = new Map<string, WireBinding>();
  readonly #inflight = new Map<string, Promise<void>>();
  /** Bindings of revoked devices, for verifying what they signed in the past only (never admitted as leaves). */
  readonly #past = new Map<string, WireBinding>();

  constructor(server: E2eeServerApi, orgId: string, keys: DirectoryVerifiers) {
    this.#server = server;
    this.#orgId = orgId;
    this.#keys = keys;
  }

  /**
   * The bindings of this org whose signature verifies with a trusted directory key. When some do
   * not, the config is fetched again once (at most once a minute): the server may have rotated its
   * directory key since this device last looked.
   */
  async #verified(bindings: Iterable<WireBinding>): Promise<WireBinding[]> {
    const ok = (b: WireBinding) => b.orgId === this.#orgId && this.#keys.current().some((k) => verifyBinding(b, k));
    const all = [...bindings];
    const good = all.filter(ok);
    const bad = all.filter((b) => b.orgId === this.#orgId && !good.includes(b));
    if (bad.length && Date.now() - this.#trustRefreshedAt > TRUST_REFRESH_MS) {
      this.#trustRefreshedAt = Date.now();
      await this.#keys.refresh();
      good.push(...bad.filter(ok));
    }
    return good;
  }

  /** Adds bindings (e.g. those returned with claimed KeyPackages) after checking the server's signature. */
  async accept(bindings: Iterable<WireBinding>): Promise<void> {
    for (const b of await this.#verified(bindings)) this.#byDevice.set(b.deviceId, b);
  }

  /** Fetch the bindings of `userIds` again (single flight per user set). */
  async refresh(userIds: string[]): Promise<void> {
    const key = [...new Set(userIds)].sort().join(",");
    let p = this.#inflight.get(key);
    if (!p) {
      p = this.#server
        .bindings(key.split(","))
        .then((bs) => this.accept(bs))
        .finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    }
    await p;
  }

  /** The verified binding of a device, fetching the user's bindings on a miss. */
  async binding(userId: string, deviceId: string): Promise<WireBinding | undefined> {
    let b = this.#byDevice.get(deviceId);
    if (!b) {
      await this.refresh([userId]);
      b = this.#byDevice.get(deviceId);
    }
    return b && b.userId === userId ? b : undefined;
  }

  /**
   * The signature key of a device that signed something in the past (an archive copy): its
   * verified binding, revoked devices and deactivated users included. Undefined when the
   * directory has none for that device of that user.
   */
  async pastSignatureKey(userId: string, deviceId: string): Promise<Uint8Array | undefined> {
    let b = this.#byDevice.get(deviceId) ?? this.#past.get(deviceId);
    if (!b) {
      // Single flight per user: a page of history asks for the same sender's key many times at once.
      const key = `past:${userId}`;
      let p = this.#inflight.get(key);
      if (!p) {
        p = this.#server
          .bindings([userId], { includeRevoked: true })
          .then((bs) => this.#verified(bs))
          .then((bs) => {
            for (const x of bs) this.#past.set(x.deviceId, x);
          })
          .finally(() => this.#inflight.delete(key));
        this.#inflight.set(key, p);
      }
      await p;
      b = this.#past.get(deviceId);
    }
    return b && b.userId === userId ? b.signaturePublicKey : undefined;
  }

  /** Verified bindings of every active device of `userId` (fetched fresh). */
  async devicesOf(userId: string): Promise<WireBinding[]> {
    await this.refresh([userId]);
    return [...this.#byDevice.values()].filter((b) => b.userId === userId);
  }

  /**
   * The MLS leaf policy: a leaf is admitted only when the directory vouches
   * that its signature key belongs to that device of that user in this org.
   * A key that differs from the cached binding triggers one refetch (the
   * cache may predate a re-registration) before refusing.
   */
  readonly authorizeLeaf = async (leaf: LeafCandidate): Promise<boolean> => {
    if (leaf.orgId !== this.#orgId) return false;
    let b = await this.binding(leaf.userId, leaf.deviceId);
    if (b && !equalBytes(b.signaturePublicKey, leaf.signaturePublicKey)) {
      this.#byDevice.delete(leaf.deviceId);
      b = await this.binding(leaf.userId, leaf.deviceId);
    }
    return !!b && equalBytes(b.signaturePublicKey, leaf.signaturePublicKey);
  };

  /** Only the server key from /e2ee/config may be an external sender. */
  authorizeExternalSender(externalSender: Uint8Array): (s: { orgId: string; signaturePublicKey: Uint8Array }) => boolean {
    return (s) => s.orgId === this.#orgId && equalBytes(s.signaturePublicKey, externalSender);
  }
}
