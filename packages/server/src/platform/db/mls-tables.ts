/** Tables of channels' MLS groups and the E2EE directory (migrations 0002, 0003, 0005): kept apart from tables.ts. */

/** A channel's MLS group (migration 0003): the latest GroupInfo; channels.epoch is the authority for the epoch. */
export interface MlsGroupsTable {
  channel_id: string;
  org_id: string;
  suite: "default" | "xwing";
  epoch: number;
  group_info: Uint8Array;
  created_by: string;
  created_at: number;
  updated_at: number;
  /** The MLS engine that made the group (migration 0006). */
  engine: string;
}
/** Which device sits at which leaf of a channel's group (from the latest GroupInfo's ratchet tree). */
export interface MlsLeavesTable {
  channel_id: string;
  leaf_index: number;
  org_id: string;
  user_id: string;
  device_id: string;
  signature_key: Uint8Array;
}
/**
 * A Welcome for the devices a commit added (migration 0003). `group_info` (0005): the
 * GroupInfo of the Welcome's epoch, whose ratchet tree the joiners use; null for Welcomes
 * stored before 0005, which carry the tree themselves.
 */
export interface MlsWelcomesTable {
  id: string;
  channel_id: string;
  org_id: string;
  epoch: number;
  data: Uint8Array;
  group_info: Uint8Array | null;
  recipients: string;
  created_at: number;
}
/** A leaf the server asked the group to remove (kick, leave, revocation, deactivation) that no commit removed yet. */
export interface MlsPendingRemovalsTable {
  channel_id: string;
  device_id: string;
  org_id: string;
  user_id: string;
  leaf_index: number;
  reason: string;
  proposed_epoch: number | null;
  proposal_seq: number | null;
  proposal_ref: string | null;
  created_at: number;
}
/** A device's signed directory binding (migration 0002). */
export interface DeviceBindingsTable {
  device_id: string;
  org_id: string;
  user_id: string;
  suite: "default" | "xwing";
  signature_key: Uint8Array;
  signature: Uint8Array;
  /** The directory key (server_keys id) whose signature `signature` is; a rotation re-signs the rest (migration 0031). */
  signed_by: string | null;
  created_at: number;
  low_warned_at: number | null;
}
/** A stored KeyPackage (ref = KeyPackageRef hex); last_resort is 0/1. */
export interface KeyPackagesTable {
  ref: string;
  org_id: string;
  user_id: string;
  device_id: string;
  suite: "default" | "xwing";
  data: Uint8Array;
  last_resort: number;
  not_after: number;
  created_at: number;
}
