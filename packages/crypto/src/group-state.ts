// Internal plumbing behind the opaque Group handle: the ts-mls state it wraps, the MLS
// context built from the caller's leaf policy, and translation of library errors to
// E2eeError. Nothing here is exported from the package.
import {
  CodecError,
  CryptoError,
  CryptoVerificationError,
  MlsError,
  nodeTypes,
  ValidationError,
  type AuthenticationService,
  type ClientState,
  type CiphersuiteImpl,
  type Credential,
  type MlsContext,
} from "ts-mls";
import { parseCredentialIdentity } from "./credential.ts";
import { E2eeError } from "./errors.ts";
import type { DeviceIdentity } from "./identity.ts";
import type { SuiteName } from "./suites.ts";

/** A device leaf of a group (see `members`). */
export interface Member {
  /** Leaf index in the ratchet tree (what Remove proposals name). */
  leafIndex: number;
  /** Org of the device. */
  orgId: string;
  /** Owner of the device. */
  userId: string;
  /** The device. */
  deviceId: string;
  /** MLS signature public key of the leaf: check it against the device directory binding. */
  signaturePublicKey: Uint8Array;
}

/** A leaf being admitted (added, joining, or present in a tree being joined), as shown to `authorizeLeaf`. */
export type LeafCandidate = Omit<Member, "leafIndex">;

/**
 * Caller's policy for leaves. `authorizeLeaf` decides whether a device leaf may be in the
 * group — typically: fetch its directory binding, `verifyBinding`, compare keys, and check
 * the user belongs to the channel. It runs for every leaf ts-mls validates (added
 * KeyPackages, updated leaves, external joiners, every leaf of a tree joined via
 * Welcome/GroupInfo) — never per application message. `authorizeExternalSender` decides
 * whether a server credential may be an external sender (default: the same org).
 */
export interface LeafPolicy {
  /** Return false to refuse a leaf; the operation then fails with `unauthorized_leaf`. */
  authorizeLeaf?: (leaf: LeafCandidate) => boolean | Promise<boolean>;
  /** Return false to refuse an external sender (server key) listed in the group context. */
  authorizeExternalSender?: (sender: { orgId: string; signaturePublicKey: Uint8Array }) => boolean | Promise<boolean>;
}

/**
 * Opaque handle on one MLS group (one per channel). Pass it to the functions of this
 * package; its state changes only through them.
 */
export interface Group {
  /** Group id (the channel id as UTF-8 bytes). */
  readonly groupId: Uint8Array;
  /** Cipher suite of the group. */
  readonly suite: SuiteName;
}

export interface PendingCommit {
  newState: ClientState;
  consumed: Uint8Array[];
  commit: Uint8Array;
}

export interface GroupInternal {
  state: ClientState;
  identity: DeviceIdentity;
  impl: CiphersuiteImpl;
  policy: LeafPolicy;
  pending?: PendingCommit;
}

const internals = new WeakMap<Group, GroupInternal>();

export function makeGroup(internal: GroupInternal): Group {
  const group: Group = Object.freeze({ groupId: internal.state.groupContext.groupId, suite: internal.identity.suite });
  internals.set(group, internal);
  return group;
}

export function internalOf(group: Group): GroupInternal {
  const g = internals.get(group);
  if (!g) throw new E2eeError("bad_input", "not a Group created by @parley/crypto");
  return g;
}

/** Records whether the last MLS operation was refused by the caller's policy, or could not ask it. */
export interface PolicyProbe {
  refused?: string;
  /** The policy threw (a look-up failed): the operation's outcome says nothing about the message. */
  unavailable?: unknown;
}

/** Builds the ts-mls context whose authentication service applies the caller's policy. */
export function mlsContext(internal: Pick<GroupInternal, "identity" | "impl" | "policy">, probe: PolicyProbe, override?: LeafPolicy): MlsContext {
  const policy = { ...internal.policy, ...override };
  const org = internal.identity.orgId;
  const authService: AuthenticationService = {
    async validateCredential(credential: Credential, signaturePublicKey: Uint8Array): Promise<boolean> {
      const refuse = (why: string) => {
        probe.refused ??= why;
        return false;
      };
      if (!("identity" in credential)) return refuse("not a Basic credential");
      let id;
      try {
        id = parseCredentialIdentity(credential.identity);
      } catch {
        return refuse("foreign credential");
      }
      if (id.orgId !== org) return refuse(`credential of another org (${id.orgId})`);
      // A policy that throws could not decide (its directory look-up failed): remember that,
      // so the failure is reported as "retry later", never as a refused or tampered message.
      const ask = async (decide: () => boolean | Promise<boolean>): Promise<boolean | undefined> => {
        try {
          return await decide();
        } catch (err) {
          probe.unavailable ??= err;
          return undefined;
        }
      };
      if (id.kind === "server") {
        const ok = policy.authorizeExternalSender ? await ask(() => policy.authorizeExternalSender!({ orgId: id.orgId, signaturePublicKey })) : true;
        return ok === undefined ? false : ok || refuse("external sender refused");
      }
      const ok = policy.authorizeLeaf
        ? await ask(() => policy.authorizeLeaf!({ orgId: id.orgId, userId: id.userId, deviceId: id.deviceId, signaturePublicKey }))
        : true;
      return ok === undefined ? false : ok || refuse(`leaf ${id.userId}/${id.deviceId} refused by authorizeLeaf`);
    },
  };
  return { cipherSuite: internal.impl, authService };
}

/** Every device leaf of a ts-mls state, with its leaf index. */
export function membersOf(state: ClientState): Member[] {
  const out: Member[] = [];
  for (let i = 0; i < state.ratchetTree.length; i += 2) {
    const m = memberAt(state.ratchetTree, i / 2);
    if (m) out.push(m);
  }
  return out;
}

/** The device leaf at one leaf index of a ratchet tree, or undefined (blank, or not a device). */
export function memberAt(tree: ClientState["ratchetTree"], leafIndex: number): Member | undefined {
  const node = tree[leafIndex * 2];
  if (!node || node.nodeType !== nodeTypes.leaf) return undefined;
  const cred = node.leaf.credential;
  if (!("identity" in cred)) return undefined;
  const id = parseCredentialIdentity(cred.identity);
  if (id.kind !== "device") return undefined;
  return { leafIndex, orgId: id.orgId, userId: id.userId, deviceId: id.deviceId, signaturePublicKey: node.leaf.signaturePublicKey };
}

/** Maps a ts-mls error to an E2eeError with a stable code. */
export function translate(err: unknown, probe: PolicyProbe): E2eeError {
  if (err instanceof E2eeError) return err;
  if (probe.unavailable !== undefined) {
    const why = probe.unavailable instanceof Error ? probe.unavailable.message : String(probe.unavailable);
    return new E2eeError("unavailable", `a leaf could not be checked (${why}): retry later`, { cause: probe.unavailable });
  }
  if (probe.refused) return new E2eeError("unauthorized_leaf", probe.refused, { cause: err });
  if (err instanceof ValidationError) {
    if (err.message.includes("Desired gen in the past"))
      return new E2eeError("replay", "message generation already consumed (replay or duplicate)", { cause: err });
    if (err.message.includes("epoch too old") || err.message.includes("former epoch")) return new E2eeError("old_epoch", err.message, { cause: err });
    return new E2eeError("invalid_message", err.message, { cause: err });
  }
  if (err instanceof CryptoVerificationError || err instanceof CryptoError || err instanceof CodecError) {
    return new E2eeError("invalid_message", err.message, { cause: err });
  }
  if (err instanceof MlsError) return new E2eeError("invalid_state", err.message, { cause: err });
  // WebCrypto AES-GCM failures surface as DOMException "OperationError".
  if (err instanceof Error && (err.name === "OperationError" || /decrypt|tag|auth/i.test(err.message))) {
    return new E2eeError("invalid_message", "decryption failed", { cause: err });
  }
  return new E2eeError("invalid_message", err instanceof Error ? err.message : String(err), { cause: err });
}

/** Overwrites each consumed secret once the state that used it is superseded. */
export function zeroAll(bufs: Uint8Array[]): void {
  for (const b of bufs) b.fill(0);
}
