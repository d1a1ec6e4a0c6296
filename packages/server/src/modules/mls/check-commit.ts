/**
 * The Delivery/Authentication Service rules for one commit, decided on rows
 * loaded inside the accepting transaction (after the epoch was claimed, so
 * the leaf map cannot change underneath). Pure: returns the plan or throws.
 *
 * - the sender leaf is the caller's device, or an external commit joins the
 *   caller's own device;
 * - every added leaf names an active device of a current channel member of
 *   the caller's org, with the signature key of its directory binding;
 * - removes target only revoked devices, users no longer (active) members,
 *   the caller's own devices, or the server's own pending proposals;
 * - adds never share a commit with removes (the clients' commit rule);
 * - no leaf pending removal survives the commit: the new epoch's secrets would
 *   reach the device being removed (`pending_removals`, retryable);
 * - the new GroupInfo shows exactly old leaves - removes + adds.
 */
import type { InspectedAdd, TreeLeaf } from "@parley/crypto/public";
import type { DeviceActor } from "../../context.ts";
import { equalBytes, refused, type ParsedBundle } from "./bundle.ts";
import type { DeviceFacts, LeafRow, PendingRow } from "./store.ts";
import { AppError } from "../../core/errors.ts";

export interface CommitFacts {
  p: DeviceActor;
  orgId: string;
  /** Whether the caller is a member now (false: external join of a public channel). */
  callerIsMember: boolean;
  oldLeaves: LeafRow[];
  members: { all: Set<string>; active: Set<string> };
  devices: Map<string, DeviceFacts>;
  /** Directory binding keys by device id. */
  bindings: Map<string, Uint8Array>;
  pending: PendingRow[];
  /** The channel epoch the commit is for. */
  epoch: number;
}

export interface CommitPlan {
  newLeaves: TreeLeaf[];
  removedLeaves: LeafRow[];
  /** Users whose devices the commit adds (they get the Welcome). */
  addedUsers: string[];
  /** An external commit by a non-member of a public channel: the caller joins the channel. */
  joinsChannel: boolean;
  /** An external commit: the joiner's device leaf. */
  joiner: boolean;
}

const leafKey = (l: { identity: { kind: string } & Partial<{ userId: string; deviceId: string }>; signaturePublicKey: Uint8Array }) =>
  `${l.identity.kind === "device" ? `${l.identity.userId}/${l.identity.deviceId}` : "?"}/${Buffer.from(l.signaturePublicKey).toString("hex")}`;

/** A device leaf (add or joiner) must be an active, directory-bound device of a member of the caller's org. */
function checkNewDevice(f: CommitFacts, leaf: Pick<InspectedAdd, "identity" | "signaturePublicKey">, mayBeJoiner: boolean): string {
  const id = leaf.identity;
  if (id.kind !== "device") throw refused("not_a_device", "an added leaf must be a device credential");
  const dev = f.devices.get(id.deviceId);
  if (id.orgId !== f.orgId || !dev || dev.userId !== id.userId) {
    throw refused("unknown_device", `device ${id.deviceId} is not in the device directory of this org`, "bad_request", { deviceId: id.deviceId });
  }
  if (dev.revoked) throw refused("device_revoked", `device ${id.deviceId} is revoked`, "forbidden", { deviceId: id.deviceId });
  if (!dev.userActive) throw refused("user_deactivated", `the owner of device ${id.deviceId} is deactivated`, "forbidden", { deviceId: id.deviceId });
  if (!f.members.all.has(id.userId) && !(mayBeJoiner && id.userId === f.p.userId)) {
    throw refused("not_a_member", `user ${id.userId} is not a member of this channel`, "forbidden", { userId: id.userId });
  }
  const bound = f.bindings.get(id.deviceId);
  if (!bound) throw refused("no_binding", `device ${id.deviceId} has no directory binding`, "bad_request", { deviceId: id.deviceId });
  if (!equalBytes(bound, leaf.signaturePublicKey)) {
    throw refused("binding_mismatch", `the leaf's signature key is not device ${id.deviceId}'s directory key`, "bad_request", { deviceId: id.deviceId });
  }
  return id.userId;
}

export function checkCommit(f: CommitFacts, bundle: ParsedBundle): CommitPlan {
  const info = bundle.commit!.info;
  const byLeaf = new Map(f.oldLeaves.map((l) => [Number(l.leaf_index), l]));
  const sender = info.sender;
  let joiner: TreeLeaf["identity"] | undefined;
  if (sender?.type === "member") {
    const leaf = byLeaf.get(sender.leafIndex);
    if (!leaf || leaf.user_id !== f.p.userId || leaf.device_id !== f.p.deviceId) {
      throw refused("not_your_leaf", "the commit's sender leaf is not the calling device", "forbidden");
    }
    if (!f.callerIsMember) throw refused("not_a_member", "join the channel first", "forbidden");
  } else if (sender?.type === "new_member_commit") {
    const j = info.joiner;
    if (!j || j.identity.kind !== "device" || j.identity.orgId !== f.p.orgId || j.identity.userId !== f.p.userId || j.identity.deviceId !== f.p.deviceId) {
      throw refused("not_your_device", "an external commit may only join the calling device", "forbidden");
    }
    checkNewDevice(f, j, true);
    joiner = j.identity;
  } else {
    throw refused("bad_sender", "a commit must come from a member leaf or be an external commit");
  }

  // Proposals by reference: only the server's own Remove proposals of this epoch exist on the wire.
  const byRef = new Map(f.pending.filter((r) => r.proposal_ref && Number(r.proposed_epoch) === f.epoch).map((r) => [r.proposal_ref!, r]));
  const removed = new Set<number>();
  for (const ref of info.proposalRefs) {
    const r = byRef.get(ref);
    if (!r) throw refused("unknown_proposal", "the commit includes a proposal the server did not issue for this epoch");
    removed.add(Number(r.leaf_index));
  }
  const allowedOther = sender.type === "new_member_commit" ? [6] : []; // external_init
  if (info.otherProposals.some((t) => !allowedOther.includes(t))) {
    throw refused("proposal_not_allowed", `the commit carries a proposal type Parley does not allow (${info.otherProposals.join(", ")})`);
  }
  const pendingDevices = new Set(f.pending.map((r) => r.device_id));
  for (const idx of info.removes) {
    const leaf = byLeaf.get(idx);
    if (!leaf) throw refused("unknown_leaf", `the commit removes leaf ${idx}, which is empty`);
    const dev = f.devices.get(leaf.device_id);
    const allowed = leaf.user_id === f.p.userId || pendingDevices.has(leaf.device_id) || !f.members.active.has(leaf.user_id) || !dev || dev.revoked;
    if (!allowed) {
      throw refused(
        "remove_not_allowed",
        `leaf ${idx} belongs to an active device of a current member; ask the channel admins to remove the user`,
        "forbidden",
        { leafIndex: idx },
      );
    }
    removed.add(idx);
  }

  // Parley's commit rule (crypto's commit-rules.ts), checked here too: Adds travel alone.
  if (info.adds.length > 0 && removed.size > 0) {
    throw refused("mixed_commit", "a commit may not add devices while removing others: commit the removals first, then add");
  }
  // Every commit, an external join included, seals the next epoch to every leaf it keeps,
  // so a leaf the server is removing must go in this commit. An external commit cannot carry
  // the server's proposals (RFC 9420 §12.4.3.2): it waits until a member commits them.
  const keeps = f.oldLeaves.filter((l) => pendingDevices.has(l.device_id) && !removed.has(Number(l.leaf_index)));
  if (keeps.length > 0) {
    throw new AppError(
      "pending_removals",
      sender.type === "new_member_commit"
        ? "the channel's group is removing devices; a member's client commits that shortly: retry the join then"
        : "the commit keeps leaves the server is removing: commit its Remove proposals first, then retry",
      { leafIndexes: keeps.map((l) => Number(l.leaf_index)) },
    );
  }

  const addedUsers = new Set<string>();
  for (const add of info.adds) addedUsers.add(checkNewDevice(f, add, false));
  if (info.adds.length > 0) {
    const want = new Set(info.adds.map((a) => a.keyPackageRefHex));
    const got = new Set(bundle.welcome?.for ?? []);
    if (!bundle.welcome || want.size !== got.size || [...want].some((r) => !got.has(r))) {
      throw refused("welcome_mismatch", "the welcome must be for exactly the devices the commit adds");
    }
  } else if (bundle.welcome) {
    throw refused("welcome_mismatch", "a welcome without added devices");
  }

  // The new tree must be exactly: old leaves - removes + adds (+ the joiner).
  const newLeaves = bundle.groupInfo.leaves;
  const newByIndex = new Map(newLeaves.map((l) => [l.leafIndex, l]));
  const fresh = newLeaves.filter((l) => {
    const old = byLeaf.get(l.leafIndex);
    return !old || removed.has(l.leafIndex);
  });
  for (const old of f.oldLeaves) {
    const idx = Number(old.leaf_index);
    if (removed.has(idx)) continue;
    const now = newByIndex.get(idx);
    if (
      !now ||
      now.identity.kind !== "device" ||
      now.identity.userId !== old.user_id ||
      now.identity.deviceId !== old.device_id ||
      !equalBytes(now.signaturePublicKey, old.signature_key)
    ) {
      throw refused("group_info_mismatch", `the new GroupInfo does not keep leaf ${idx} as it was`);
    }
  }
  const expected = [...info.adds.map((a) => leafKey(a)), ...(joiner ? [leafKey(info.joiner!)] : [])].sort();
  const actual = fresh.map((l) => leafKey(l)).sort();
  if (expected.length !== actual.length || expected.some((k, i) => k !== actual[i])) {
    throw refused("group_info_mismatch", "the new GroupInfo's leaves are not the old ones minus removes plus adds");
  }
  const devices = newLeaves.map((l) => (l.identity.kind === "device" ? l.identity.deviceId : ""));
  if (new Set(devices).size !== devices.length) throw refused("duplicate_device", "a device would hold two leaves");

  return {
    newLeaves,
    removedLeaves: f.oldLeaves.filter((l) => removed.has(Number(l.leaf_index))),
    addedUsers: [...addedUsers],
    joinsChannel: joiner !== undefined && !f.callerIsMember,
    joiner: joiner !== undefined,
  };
}
