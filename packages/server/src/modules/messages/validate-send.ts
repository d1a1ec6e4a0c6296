/**
 * Everything checked about a send. `checkShape` needs no database and runs
 * before queueing; `checkSend` runs inside the group-commit transaction on
 * rows the batch loaded in bulk (see batch-reads.ts), so a bad send is
 * rejected on its own and never fails the batch it joined.
 */
import { editAllowed, type EditPolicy, type EventKind, type SendEvent } from "@parley/protocol";
import { parseChannelGroupId, privateMessageHeader } from "@parley/crypto/public";
import type { Deps, DeviceActor } from "../../context.ts";
import { authorize } from "../access/authorize.ts";
import { AppError } from "../../core/errors.ts";
import type { LoadedChannel } from "../channels/access.ts";
import type { EventRef } from "./store.ts";
import { checkArchiveFraming, checkArchiveKind, checkArchivePolicy } from "./archive-copy.ts";

const bad = (message: string) => new AppError("bad_request", message);

/**
 * What checkShape found: the decoded content and archive copy, and the group generation the
 * content was encrypted for (from the MLS framing when that check is on, else from the archive
 * copy's framing when there is one).
 */
export interface Shaped {
  content: Buffer;
  generation: number | undefined;
  archive: Buffer | null;
}

/** Checks that need no database: size, MLS framing, the archive copy's framing and kind/target shape. */
export function checkShape(deps: Deps, channelId: string, input: SendEvent): Shaped {
  checkArchiveKind(input);
  rejectHandshake(input);
  const content = Buffer.from(input.content, "base64");
  if (content.length > deps.config.messageLimit) {
    throw new AppError("message_too_large", `content is ${content.length} bytes; the limit is ${deps.config.messageLimit}`, {
      limit: deps.config.messageLimit,
    });
  }
  const generation = deps.config.checkMlsFraming ? checkFraming(channelId, input, content) : undefined;
  const archive = input.archive === undefined ? undefined : checkArchiveFraming(deps, { ...input, archive: input.archive }, generation);
  const target = input.target ?? null;
  if ((input.kind === "message" || input.kind === "keys") && target !== null) throw bad(`a ${input.kind} has no target; reactions, edits and deletes do`);
  if (input.kind !== "message" && input.kind !== "keys" && target === null) throw bad(`a ${input.kind} needs a target`);
  if (input.kind === "keys" && (input.threadRoot != null || input.mentions?.length || input.files?.length))
    throw bad("a keys event has no thread, mentions or files");
  return { content, generation: generation ?? archive?.generation, archive: archive?.bytes ?? null };
}

/**
 * Content must be an MLS PrivateMessage (application data) of this channel's group
 * at the epoch the event names. The server cannot read it; it only checks the
 * public header, so a client that would store plaintext is refused.
 */
function checkFraming(channelId: string, input: SendEvent, content: Buffer): number {
  const h = privateMessageHeader(content);
  const refuse = (reason: string, message: string) => new AppError("bad_request", message, { reason });
  if (!h || h.contentType !== "application")
    throw refuse("not_mls_ciphertext", "content must be an MLS PrivateMessage (application data): this server stores only end-to-end encrypted content");
  const group = parseChannelGroupId(h.groupId);
  if (!group || group.channelId !== channelId) throw refuse("wrong_group", "the ciphertext belongs to another channel's group");
  if (input.epoch === undefined || BigInt(input.epoch) !== h.epoch)
    throw refuse("epoch_mismatch", "the event's epoch must be the epoch the content was encrypted in");
  // Which of the channel's groups: checked against the channel's current one where the seq is allocated.
  return group.generation;
}

/** MLS handshakes enter the timeline only through the commit-bundle route (modules/mls) and the server's own proposals. */
function rejectHandshake(input: SendEvent): asserts input is SendEvent & { kind: "message" | "reaction" | "edit" | "delete" | "keys" } {
  if (input.kind === "commit" || input.kind === "proposal")
    throw bad(`a ${input.kind} cannot be sent as an event: post commits as bundles to /channels/:channelId/commits`);
  if (input.kind === "reset") throw bad("a reset cannot be sent as an event: POST /channels/:channelId/encryption/reset");
}

/** What checkSend may look up (already loaded for the whole batch). */
export interface SendLookups {
  eventRef(channelId: string, seq: number): EventRef | undefined;
  /** Whether `userId` is an active user of `orgId`. */
  activeUser(orgId: string, userId: string): boolean;
  /** The org's edit policy (loaded for batches holding an edit). */
  editPolicy(orgId: string): EditPolicy;
  /** The batch's clock (ms). */
  now: number;
}

/** A validated send, ready to be written. */
export interface EventDraft {
  orgId: string;
  channelId: string;
  clientId: string;
  senderId: string;
  senderDeviceId: string;
  kind: EventKind;
  /** undefined: the channel's current epoch. */
  epoch: number | undefined;
  /** The group generation the content was encrypted for; undefined (framing check off): the channel's current one. */
  generation: number | undefined;
  content: Buffer;
  /** The content as the client sent it (saves re-encoding). */
  contentB64: string;
  /** The archive copy (framing checked), or null. */
  archive: Buffer | null;
  threadRoot: number | null;
  target: number | null;
  mentions: string[];
  /** Uploads to attach (messages only; checked in the batch by modules/files/links.ts). */
  files: string[];
}

/** Authorize and check references; the channel was loaded through the principal. */
export function checkSend(p: DeviceActor, ch: LoadedChannel, input: SendEvent, shaped: Shaped, look: SendLookups, requireArchive: boolean): EventDraft {
  const { content, generation, archive } = shaped;
  rejectHandshake(input);
  // A reader's device still hands past history keys to the members its commits add: key
  // distribution, not a post (readers are refused every message, reaction, edit and delete).
  const asPoster = input.kind === "keys" && ch.resource.myRole === "reader" ? { ...ch.resource, myRole: "member" as const } : ch.resource;
  authorize(p, "channel.post", { type: "channel", channel: asPoster });
  const channelId = ch.row.id;
  // Encrypted for a group the channel has replaced (the batch's seq bump re-checks it against a concurrent reset).
  if (generation !== undefined && generation !== Number(ch.row.mls_generation)) {
    throw new AppError(
      "encryption_reset",
      "the channel's encryption was reset after this content was encrypted: encrypt it for the new group and send it again",
      { generation: Number(ch.row.mls_generation) },
    );
  }
  if (input.epoch !== undefined && input.epoch > Number(ch.row.epoch)) {
    throw new AppError("bad_request", "the event's epoch is ahead of the channel's group", { reason: "epoch_ahead", epoch: Number(ch.row.epoch) });
  }
  // After the generation: content for a replaced group is re-encrypted anyway (with its copy).
  checkArchivePolicy(ch.row, archive, requireArchive && input.kind !== "keys");
  let threadRoot = input.threadRoot ?? null;
  const target = input.target ?? null;
  if (input.kind === "keys") {
    // past history keys for new members: nothing to check beyond the MLS framing
  } else if (input.kind === "message") {
    if (threadRoot !== null) {
      const root = look.eventRef(channelId, threadRoot);
      if (!root || root.kind !== "message" || root.thread_root !== null) throw bad("threadRoot must name a top-level message of this channel");
    }
  } else {
    const ref = look.eventRef(channelId, target!);
    if (!ref) throw bad("target must name an event of this channel");
    checkTarget(p, ch, input.kind, ref);
    if (input.kind === "edit") checkEditPolicy(look.editPolicy(p.orgId), ref, look.now);
    // A reaction/edit/delete lives in the thread of what it refers to, so a thread page carries it.
    if (threadRoot !== null && threadRoot !== ref.thread_root) throw bad("threadRoot does not match the target's thread");
    threadRoot = ref.thread_root;
  }
  const files = [...new Set(input.files ?? [])];
  if (files.length && input.kind !== "message") throw bad("only messages carry files");
  const mentions = [...new Set(input.mentions ?? [])];
  const unknown = mentions.filter((id) => !look.activeUser(p.orgId, id));
  // Another org's user is reported like a missing one: ids of other orgs leak nothing.
  if (unknown.length) throw new AppError("not_found", "user not found", { userIds: unknown });
  return {
    orgId: p.orgId,
    channelId,
    clientId: input.clientId,
    senderId: p.userId,
    senderDeviceId: p.deviceId,
    kind: input.kind,
    epoch: input.epoch,
    generation,
    content,
    contentB64: input.content,
    archive,
    threadRoot,
    target,
    mentions,
    files,
  };
}

/** The org's edit policy, on the target's time (the server cannot read the edit, but knows when its target was sent). */
function checkEditPolicy(policy: EditPolicy, ref: EventRef, now: number): void {
  const verdict = editAllowed(policy, ref.created_at, now);
  if (verdict === "disabled") throw new AppError("edit_not_allowed", "your organisation does not allow editing messages", { reason: "disabled" });
  if (verdict === "window_closed") {
    const minutes = policy.windowMinutes!;
    throw new AppError("edit_not_allowed", `messages can be edited for ${minutes} minute${minutes === 1 ? "" : "s"} after sending; this one is older`, {
      reason: "window_closed",
      windowMinutes: minutes,
    });
  }
}

function checkTarget(p: DeviceActor, ch: LoadedChannel, kind: "reaction" | "edit" | "delete", ref: EventRef): void {
  const own = ref.sender_id === p.userId;
  switch (kind) {
    case "reaction":
      if (ref.kind !== "message") throw bad("reactions target messages");
      return;
    case "edit":
      if (ref.kind !== "message") throw bad("edits target messages");
      if (!own) throw new AppError("forbidden", "only the sender may edit a message");
      return;
    case "delete":
      if (ref.kind !== "message" && ref.kind !== "reaction") throw bad("deletes target messages or reactions");
      if (own) return;
      // Moderation: channel admins, moderators and org admins may delete others' events, never in DMs.
      if (ch.row.kind === "dm" || ch.row.kind === "group_dm") throw new AppError("forbidden", "only the sender may delete this");
      authorize(p, "channel.moderate", { type: "channel", channel: ch.resource });
  }
}
