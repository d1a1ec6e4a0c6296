/**
 * Processing a channel's timeline through its MLS group, strictly in seq
 * order: commits and the server's proposals advance the group; application
 * events are decrypted. An event this device cannot process *yet* (no group
 * until its Welcome arrives, or an epoch whose commit has not been applied)
 * waits at the head of the queue — it is never reported as a failure. Nor is one
 * whose checks could not be made (a directory look-up failed on the network): it
 * is tried again. What can never be decrypted (tampered, replayed, after
 * removal) is reported as undecryptable with a reason, and the timeline moves on.
 */
import { epoch, isE2eeError, members, processMessage, type Group } from "@parley/crypto";
import { equalBytes } from "./bytes.ts";
import { EncryptionReset, type Event } from "@parley/protocol";
import type { Step, UndecryptableReason } from "./step.ts";
import { base64ToBytes, type DecodedContent } from "../codec.ts";
import type { ChannelCrypto } from "./channel-state.ts";
import { openPayload } from "./payload.ts";
import type { ArchiveReader } from "./archive.ts";

export type { Step, UndecryptableReason } from "./step.ts";

/** What processing needs besides the channel state. */
export interface TimelineContext {
  deviceId: string;
  /** Plaintext of this device's own sends by clientId (MLS cannot decrypt one's own messages). */
  takeSent(clientId: string): Promise<DecodedContent | undefined>;
  /** Opens and checks archive copies (history this device has keys for but no MLS state). */
  archive: ArchiveReader;
  /** Whether a commit of this epoch (of the channel's current generation) is queued behind the event: the epoch ends within the backlog. */
  epochEnds?: (epochNo: number) => boolean;
}

const HANDSHAKE = new Set(["commit", "proposal"]);

function reasonOf(err: unknown): UndecryptableReason {
  if (!isE2eeError(err)) return "malformed";
  switch (err.code) {
    case "replay":
      return "replay";
    case "old_epoch":
      return "old_epoch";
    case "unauthorized_leaf":
      return "unauthorized_leaf";
    case "bad_input":
      return "malformed";
    default:
      return "tampered";
  }
}

/** Process one event (call with the channel lock held). */
export async function processEvent(ctx: TimelineContext, ch: ChannelCrypto, e: Event): Promise<Step> {
  const kind: string = e.kind;
  if (kind === "reset") return resetStep(e);
  // A group this device has left behind (an earlier generation), or one it has yet to reach.
  if ((e.generation ?? 0) < ch.generation) return HANDSHAKE.has(kind) ? { t: "skip" } : beforeJoining(ctx, ch, e);
  if ((e.generation ?? 0) > ch.generation) return { t: "wait" };
  const group = ch.group;
  if (!group) {
    if (!ch.removed) return { t: "wait" };
    if (HANDSHAKE.has(kind)) return { t: "skip" };
    // Only epochs it was in (it derives no key after its removal).
    return (await ctx.archive.read(ch, e)) ?? { t: "undecryptable", reason: "removed", message: "this device is no longer in the channel's group" };
  }
  const current = Number(epoch(group));
  if (kind === "commit" && ch.pendingJoin && equalBytes(base64ToBytes(e.content), ch.pendingJoin.commit)) {
    return { t: "joined", group: ch.pendingJoin.group, epoch: ch.pendingJoin.epoch };
  }
  if (HANDSHAKE.has(kind)) {
    // Past epochs: applied already (our own commit confirmed by the server) or before this device joined.
    if (e.epoch < current) return { t: "skip" };
    if (e.epoch > current) return { t: "wait" };
    return handshake(group, kind as "commit" | "proposal", e, ctx.deviceId);
  }
  if (ch.isBefore(e)) return beforeJoining(ctx, ch, e);
  if (e.senderDeviceId === ctx.deviceId) {
    const mine = await ctx.takeSent(e.clientId);
    if (mine) return { t: "content", content: mine };
    return (
      (await ctx.archive.read(ch, e)) ?? {
        t: "undecryptable",
        reason: "own_message_unavailable",
        message: "sent from this device in an earlier session; its plaintext was not kept",
      }
    );
  }
  if (e.epoch > current) return { t: "wait" };
  // Fast history for a backlog (ADR 0007): a message of an epoch this group has left, or of one whose
  // commit is already queued, is read from its copy (the group never needs that epoch's ratchet
  // again); MLS opens the commits, and the messages after the last one queued.
  if (e.archive && (e.epoch < current || ctx.epochEnds?.(e.epoch))) {
    const copy = await ctx.archive.read(ch, e);
    if (copy) return copy;
  }
  let r;
  try {
    r = await processMessage(group, base64ToBytes(e.content));
  } catch (err) {
    return failed(err);
  }
  if (r.kind !== "application") return { t: "undecryptable", reason: "malformed", message: `expected an application message, got a ${r.kind}` };
  // The server routes events; MLS authenticates the sender. They must agree.
  if (r.sender.userId !== e.senderId || r.sender.deviceId !== e.senderDeviceId) {
    return { t: "undecryptable", reason: "sender_mismatch", message: "the event's sender differs from the MLS sender" };
  }
  const step = openPayload(r.plaintext, e);
  if (step.t !== "content") return step;
  // The live and archive copies must agree (what later devices and members read is what was said).
  const leaf = members(group).find((m) => m.leafIndex === r.sender.leafIndex);
  const archiveFault = leaf && (await ctx.archive.check(ch, e, r.plaintext, leaf.signaturePublicKey, group));
  return archiveFault ? { t: "content", content: { ...step.content, archiveFault } } : step;
}

/**
 * An event sent before this device joined (ADR 0007, fast history): readable from its archive copy
 * when the device holds that epoch's key — then it is read with the page of history it is shown in,
 * in any order, and the timeline moves on without opening it (a backlog of 10,000 costs no more
 * than its commits).
 */
async function beforeJoining(ctx: TimelineContext, ch: ChannelCrypto, e: Event): Promise<Step> {
  return (await ctx.archive.readable(ch, e)) ? { t: "archived" } : { t: "history" };
}

async function handshake(group: Group, kind: "commit" | "proposal", e: Event, deviceId: string): Promise<Step> {
  try {
    const before = members(group);
    const r = await processMessage(group, base64ToBytes(e.content));
    if (r.kind === "commit") {
      // An external join (no member committed it) of a new user: the lowest pre-existing leaf hands over the past keys.
      const present = new Set(before.map((m) => m.userId));
      const lowest = before.reduce<(typeof before)[number] | undefined>((lo, m) => (!lo || m.leafIndex < lo.leafIndex ? m : lo), undefined);
      const shareKeys = !r.committer && r.added.some((m) => !present.has(m.userId)) && lowest?.deviceId === deviceId;
      return { t: "handshake", kind, removedSelf: r.removedSelf, hasProposals: false, ...(shareKeys ? { shareKeys } : {}) };
    }
    if (r.kind === "proposal") return { t: "handshake", kind, removedSelf: false, hasProposals: true };
    return { t: "undecryptable", reason: "malformed", message: "an application message posted as a handshake event" };
  } catch (err) {
    return failed(err);
  }
}

/** The metadata a "reset" event carries in the clear (the server wrote it; it says who reset and why). */
export function parseReset(e: Event): EncryptionReset | undefined {
  try {
    const parsed = EncryptionReset.safeParse(JSON.parse(new TextDecoder().decode(base64ToBytes(e.content))));
    return parsed.success && parsed.data.generation === (e.generation ?? 0) ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function resetStep(e: Event): Step {
  const info = parseReset(e);
  return info ? { t: "reset", info } : { t: "undecryptable", reason: "malformed", message: "a reset event without a readable generation" };
}

/** Only a verified cryptographic failure makes an event undecryptable; anything transient is tried again. */
function failed(err: unknown): Step {
  if (isE2eeError(err, "future_epoch")) return { t: "wait" };
  if (isE2eeError(err, "unavailable")) return { t: "retry", message: err.message };
  return { t: "undecryptable", reason: reasonOf(err), message: (err as Error).message };
}
