/**
 * The E2EE routes the engine calls: device and KeyPackage directories, MLS
 * commit bundles, GroupInfo, Welcomes and attachment ciphertext, called
 * through the typed route table. MLS bytes travel as base64 on the wire and
 * as bytes here.
 */
import { MLS_ENGINE, type SuiteName } from "@parley/crypto";
import type { Api } from "../http.ts";
import { base64ToBytes, bytesToBase64 } from "../codec.ts";
import { ParleyError } from "../errors.ts";
import type { DirectoryKey } from "./directory-trust.ts";

/** GET /e2ee/config: the org's suite and the server's public keys. */
export interface E2eeConfig {
  suite: SuiteName;
  /** Ed25519 key that signs device-directory bindings (the active one). */
  directoryKey: Uint8Array;
  /** Every directory key, oldest first, with the endorsement chain (see directory-trust.ts). */
  directoryKeys: DirectoryKey[];
  /** The server as MLS external sender (Remove proposals): its Ed25519 key and org. */
  externalSender: { signaturePublicKey: Uint8Array; orgId: string };
  /** One-time KeyPackages below which the server warns ("keypackages.low"). */
  keyPackageLowWater: number;
}

/** A device-directory binding as the server returns it (bytes decoded). */
export interface WireBinding {
  orgId: string;
  userId: string;
  deviceId: string;
  signaturePublicKey: Uint8Array;
  signature: Uint8Array;
}

/** One claimed KeyPackage. */
export interface ClaimedKeyPackage {
  userId: string;
  deviceId: string;
  keyPackage: Uint8Array;
  binding: WireBinding;
}

/** A channel's group as the server stores it. */
export interface ServerGroup {
  epoch: number;
  /** 0, or n after the n-th encryption reset (the group id is crypto's channelGroupId()). */
  generation: number;
  /** The MLS engine that made the group (crypto's MLS_ENGINE when this build did). */
  engine: string;
  suite: SuiteName;
  groupInfo: Uint8Array;
}

/** A commit bundle as posted (epoch = the epoch the commit applies to). */
export interface CommitPost {
  epoch: number;
  commit?: Uint8Array;
  welcome?: Uint8Array;
  groupInfo: Uint8Array;
}

type WireBindingJson = { orgId: string; userId: string; deviceId: string; signaturePublicKey: string; signature: string };

function b64(v: string, what: string): Uint8Array {
  try {
    return base64ToBytes(v);
  } catch (err) {
    throw new ParleyError({ code: "bad_response", message: `malformed base64 in the ${what} response`, cause: err });
  }
}

function binding(b: WireBindingJson): WireBinding {
  return {
    orgId: b.orgId,
    userId: b.userId,
    deviceId: b.deviceId,
    signaturePublicKey: b64(b.signaturePublicKey, "binding"),
    signature: b64(b.signature, "binding"),
  };
}

/** Typed calls of the E2EE, MLS and file routes. */
export class E2eeServerApi {
  readonly #api: Api;

  constructor(api: Api) {
    this.#api = api;
  }

  /** GET /e2ee/config. */
  async config(): Promise<E2eeConfig> {
    const r = await this.#api.call("getE2eeConfig");
    return {
      suite: r.suite,
      directoryKey: b64(r.directoryKey, "config"),
      directoryKeys: r.directoryKeys.map((k) => ({
        id: k.id,
        publicKey: b64(k.publicKey, "config"),
        createdAt: k.createdAt,
        verifiesUntil: k.verifiesUntil,
        endorsement: k.endorsement ? { by: k.endorsement.by, signature: b64(k.endorsement.signature, "config") } : null,
      })),
      keyPackageLowWater: r.keyPackageLowWater,
      externalSender: { signaturePublicKey: b64(r.externalSender.signaturePublicKey, "config"), orgId: r.externalSender.orgId },
    };
  }

  /** PUT /e2ee/device-identity for the calling device (idempotent for the same key). */
  async registerDevice(suite: SuiteName, signaturePublicKey: Uint8Array, credential: Uint8Array): Promise<void> {
    await this.#api.call("putDeviceIdentity", {
      body: { suite, signaturePublicKey: bytesToBase64(signaturePublicKey), credential: bytesToBase64(credential) },
    });
  }

  /** GET /e2ee/bindings: bindings of the active devices of `userIds` (with `includeRevoked`, of their revoked devices too). */
  async bindings(userIds: string[], opts: { includeRevoked?: boolean } = {}): Promise<WireBinding[]> {
    // The query's parsed type is the id list; buildPath joins an array with commas, as the route expects.
    const r = await this.#api.call("listBindings", { query: { userIds, ...(opts.includeRevoked ? { includeRevoked: "true" as const } : {}) } });
    return r.bindings.map(binding);
  }

  /** POST /e2ee/key-packages (at most 100 per call). */
  async uploadKeyPackages(keyPackages: { data: Uint8Array; lastResort: boolean }[]): Promise<void> {
    for (let i = 0; i < keyPackages.length; i += 100) {
      const batch = keyPackages.slice(i, i + 100).map((k) => ({ data: bytesToBase64(k.data), lastResort: k.lastResort }));
      await this.#api.call("uploadKeyPackages", { body: { keyPackages: batch } });
    }
  }

  /** GET /e2ee/key-packages/count: one-time KeyPackages of `suite` left for this device, and whether a last-resort one is stored. */
  async keyPackageCount(suite: SuiteName): Promise<{ available: number; lastResort: boolean }> {
    const r = await this.#api.call("countKeyPackages");
    const s = r.suites[suite];
    return { available: s.available, lastResort: s.lastResort };
  }

  /** POST /e2ee/key-packages/claim: one KeyPackage of `suite` (the group's) per active device of `userIds` (minus `exclude`). */
  async claimKeyPackages(userIds: string[], exclude: string[], suite: SuiteName): Promise<{ claimed: ClaimedKeyPackage[]; missing: string[] }> {
    const r = await this.#api.call("claimKeyPackages", { body: { userIds, suite, ...(exclude.length ? { exclude } : {}) } });
    return {
      claimed: r.keyPackages.map((k) => ({ userId: k.userId, deviceId: k.deviceId, keyPackage: b64(k.keyPackage, "claim"), binding: binding(k.binding) })),
      missing: r.missing.map((m) => m.deviceId),
    };
  }

  /** POST /channels/:id/commits. Throws `stale_epoch` (409) when another commit won the epoch. */
  async postCommit(channelId: string, bundle: CommitPost): Promise<void> {
    await this.#api.call("postCommitBundle", {
      params: { channelId },
      body: {
        // The engine that built the change: the server refuses it for a group of another engine.
        engine: MLS_ENGINE,
        epoch: bundle.epoch,
        groupInfo: bytesToBase64(bundle.groupInfo),
        ...(bundle.commit ? { commit: bytesToBase64(bundle.commit) } : {}),
        ...(bundle.welcome ? { welcome: bytesToBase64(bundle.welcome) } : {}),
      },
    });
  }

  /**
   * GET /channels/:id/group-info (with the suite the group was created with, its generation
   * and the MLS engine that made it), or undefined while the channel has no group.
   */
  async groupInfo(channelId: string): Promise<ServerGroup | undefined> {
    return (await this.groupState(channelId)).group;
  }

  /** The channel's current group generation, and its group if it has one (GET /channels/:id/group-info). */
  async groupState(channelId: string): Promise<{ generation: number; group: ServerGroup | undefined }> {
    const r = await this.#api.call("getGroupInfo", { params: { channelId } });
    const group =
      r.groupInfo && r.suite
        ? { epoch: r.epoch, generation: r.generation, engine: r.engine ?? "", suite: r.suite, groupInfo: b64(r.groupInfo, "group-info") }
        : undefined;
    return { generation: r.generation, group };
  }

  /** POST /channels/:id/encryption/reset: ask for a new group ("admin": channel admins; the others: a member's device, rate-limited). */
  async resetEncryption(channelId: string, reason: "admin" | "unrecoverable" | "engine_upgrade"): Promise<{ generation: number }> {
    const r = await this.#api.call("resetEncryption", { params: { channelId }, body: { reason } });
    return { generation: r.generation };
  }

  /**
   * GET /channels/:id/welcomes/:welcomeId: the Welcome and the GroupInfo of its epoch, whose
   * ratchet tree the join uses (absent for Welcomes stored before API v3, which carry it).
   */
  async welcome(channelId: string, welcomeId: string): Promise<{ welcome: Uint8Array; groupInfo?: Uint8Array }> {
    const r = await this.#api.call("getWelcome", { params: { channelId, welcomeId } });
    return { welcome: b64(r.welcome, "welcome"), ...(r.groupInfo ? { groupInfo: b64(r.groupInfo, "welcome") } : {}) };
  }

  /** POST /channels/:id/files: start an upload of `size` ciphertext bytes. */
  async createUpload(channelId: string, size: number): Promise<{ fileId: string; chunkSize: number; uploaded: number }> {
    const r = await this.#api.call("createFile", { params: { channelId }, body: { size } });
    return { fileId: r.fileId, chunkSize: r.chunkSize, uploaded: r.uploaded };
  }

  /** PATCH /files/:id: append `bytes` at `offset` (resumable). */
  async appendUpload(fileId: string, offset: number, bytes: Uint8Array): Promise<void> {
    const res = await this.#api.raw("PATCH", `/files/${encodeURIComponent(fileId)}`, {
      headers: { "content-type": "application/octet-stream", "upload-offset": String(offset) },
      body: bytes,
    });
    await res.body?.cancel();
  }

  /** GET /files/:id/status. */
  async uploadStatus(fileId: string): Promise<{ size: number; uploaded: number; complete: boolean }> {
    const r = await this.#api.call("getFileStatus", { params: { fileId } });
    return { size: r.size, uploaded: r.uploaded, complete: r.complete };
  }

  /** GET /files/:id: the ciphertext as a stream. */
  async download(fileId: string): Promise<ReadableStream<Uint8Array>> {
    const res = await this.#api.raw("GET", `/files/${encodeURIComponent(fileId)}`, { timeoutMs: 10 * 60_000 });
    if (!res.body) throw new ParleyError({ code: "bad_response", message: "file download without a body" });
    return res.body as ReadableStream<Uint8Array>;
  }
}
