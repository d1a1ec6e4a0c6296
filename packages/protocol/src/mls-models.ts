/**
 * Schemas of the MLS group routes (issue 3): commit bundles, GroupInfo for
 * external joins, Welcomes and the server's pending removals. MLS structures
 * travel as base64 of their MLSMessage encoding (RFC 9420 §6).
 */
import { z } from "zod";
import { Base64, Event, Id, Timestamp } from "./models.ts";

/**
 * Base64 of one MLS structure. A GroupInfo carries the whole ratchet tree, so it
 * grows with the group (about 300 KB at 1,000 members); the server's body limit
 * (`bodyLimit`) caps the bundle as a whole.
 */
export const MlsBytes = Base64.min(4).max(16 * 1_048_576);

/** MLS cipher suite of a channel's group ("default": X25519/AES-128-GCM/Ed25519; "xwing": post-quantum hybrid). */
export const MlsSuite = z.enum(["default", "xwing"]);
export type MlsSuite = z.infer<typeof MlsSuite>;

/**
 * A commit bundle (RFC 9750 §5.2): posted together so the server accepts or
 * refuses the whole change at once.
 * - init: `epoch` 0, no `commit`, `groupInfo` of the one-member group the caller's
 *   device created (first one wins; later ones get `stale_epoch`).
 * - commit: `epoch` = the channel's current epoch, `commit` (PublicMessage),
 *   `welcome` when it adds devices, `groupInfo` of the new epoch (with ratchet tree;
 *   the server keeps it with the Welcome, whose joiners take the tree from it).
 */
export const CommitBundleBody = z.object({
  /**
   * The MLS engine of the posting device (crypto's MLS_ENGINE). Required in an init bundle
   * (the server records it with the group); a commit from another engine than the group's is refused.
   */
  engine: z.string().min(1).max(64).optional(),
  epoch: z.number().int().nonnegative(),
  commit: MlsBytes.optional(),
  welcome: MlsBytes.optional(),
  groupInfo: MlsBytes,
});
export type CommitBundleBody = z.infer<typeof CommitBundleBody>;

/** The server's answer to an accepted bundle. */
export const CommitBundleResult = z.object({
  /** The channel's epoch now (the new epoch; 0 after an init bundle). */
  epoch: z.number().int().nonnegative(),
  /** The commit as stored in the channel timeline (kind "commit"); null for an init bundle. */
  event: Event.nullable(),
  /** Id of the stored Welcome, when the commit added devices. */
  welcomeId: Id.nullable(),
});
export type CommitBundleResult = z.infer<typeof CommitBundleResult>;

/** A device the server asked the group to remove (kick, leave, revocation, deactivation) and no commit has removed yet. */
export const PendingRemoval = z.object({
  userId: Id,
  deviceId: Id,
  /** The device's leaf in the current epoch's tree. */
  leafIndex: z.number().int().nonnegative(),
  /** Seq of the server's "proposal" event for the current epoch, or null while it is being issued. */
  proposalSeq: z.number().int().positive().nullable(),
});
export type PendingRemoval = z.infer<typeof PendingRemoval>;

/** A channel's group as the server stores it: what a joining device needs (external join, RFC 9420 §12.4.3.2). */
export const ChannelGroupInfo = z.object({
  /** The channel's current epoch. */
  epoch: z.number().int().nonnegative(),
  /** The channel's current group generation (0, or n after the n-th encryption reset); its group id is crypto's channelGroupId(). */
  generation: z.number().int().nonnegative(),
  /** The MLS engine that made the group; null while the channel has no group. A device on another engine asks for a reset. */
  engine: z.string().nullable(),
  /** Suite the group was created with; null while the channel has no group (post an init bundle). */
  suite: MlsSuite.nullable(),
  /** GroupInfo (with external pub and ratchet tree) of `epoch`; null while the channel has no group. */
  groupInfo: MlsBytes.nullable(),
  /** Removals the next committer must include (the server's proposals are in the timeline). */
  pendingRemovals: z.array(PendingRemoval),
});
export type ChannelGroupInfo = z.infer<typeof ChannelGroupInfo>;

/** Asking for a new MLS group for a channel ("reset encryption"). */
export const ResetEncryptionBody = z.object({ reason: z.enum(["admin", "unrecoverable", "engine_upgrade"]) });
export type ResetEncryptionBody = z.infer<typeof ResetEncryptionBody>;

/** The server's answer to a reset: the generation that starts and the "reset" event that opens it. */
export const ResetEncryptionResult = z.object({ generation: z.number().int().positive(), event: Event });
export type ResetEncryptionResult = z.infer<typeof ResetEncryptionResult>;

/**
 * A stored Welcome and the GroupInfo of its epoch (fetched by the users it adds, as
 * announced by an "mls.welcome" stream item).
 */
export const MlsWelcome = z.object({
  id: Id,
  channelId: Id,
  /** The epoch the Welcome joins (the commit's new epoch). */
  epoch: z.number().int().positive(),
  /** The Welcome (MLSMessage). Since API v3 it carries no ratchet tree: take it from `groupInfo`. */
  welcome: MlsBytes,
  /**
   * GroupInfo of `epoch` (with external pub and ratchet tree) as the commit bundle posted
   * it: the joiner takes the ratchet tree from it, after checking that the tree hashes to
   * the tree_hash inside the Welcome. Null for Welcomes stored before API v3 (those carry
   * the tree themselves).
   */
  groupInfo: MlsBytes.nullable(),
  createdAt: Timestamp,
});
export type MlsWelcome = z.infer<typeof MlsWelcome>;
