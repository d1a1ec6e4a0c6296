/**
 * The server's checks on an event's archive copy (ADR 0007). It holds no history key, so
 * it checks only what needs none: the framing (`parseArchiveFraming` of @parley/protocol:
 * version, size, and that the copy names the event's epoch and generation), the event's
 * kind, and the channel's history policy (which also makes a copy required). Whether the copy opens, is signed by the sender
 * and agrees with the MLS message is for the receiving devices to check.
 */
import { parseArchiveFraming, type ArchiveFramingProblem, type EventKind, type SendEvent } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import { AppError } from "../../core/errors.ts";
import type { ChannelRow } from "../channels/store.ts";

/** Why an archive copy is refused, beyond its framing. */
type ArchiveProblem = ArchiveFramingProblem | "epoch_missing" | "not_content" | "device_only" | "missing";

const MESSAGES: Record<ArchiveProblem, string> = {
  truncated: "the archive copy is shorter than its framing (version, epoch, generation, nonce, ciphertext, signature)",
  too_large: "the archive copy is larger than the message size limit",
  bad_version: "the archive copy's framing version is not 1",
  wrong_epoch: "the archive copy's epoch is not the event's epoch",
  wrong_generation: "the archive copy's generation is not the event's generation (the group its content was encrypted for)",
  epoch_missing: "a send with an archive copy must name its epoch",
  not_content: "only messages, reactions, edits and deletes carry an archive copy",
  device_only: "the channel's history policy is device-only: send no archive copy",
  missing: "the channel's history policy keeps archive copies: seal one under the epoch's history key and send it with the content",
};

const refuse = (reason: ArchiveProblem, extra: Record<string, unknown> = {}) =>
  new AppError("archive_invalid", `archive copy refused: ${MESSAGES[reason]}`, { reason, ...extra });

const CONTENT_KINDS: ReadonlySet<EventKind> = new Set(["message", "reaction", "edit", "delete"]);

/** Refuses an archive copy on anything but content (commits, proposals and resets are the server's). */
export function checkArchiveKind(input: SendEvent): void {
  if (input.archive !== undefined && !CONTENT_KINDS.has(input.kind)) throw refuse("not_content");
}

/** A framing-checked archive copy and the generation it names. */
export interface CheckedArchive {
  bytes: Buffer;
  generation: number;
}

/**
 * Checks an archive copy's framing against the event: its epoch must be the send's (which a
 * send with a copy must name), its generation the one the content was encrypted for when the
 * MLS framing check found it (`generation`); otherwise the copy's generation becomes the
 * send's, and the seq claim then requires the channel to be at it.
 */
export function checkArchiveFraming(deps: Deps, input: SendEvent & { archive: string }, generation: number | undefined): CheckedArchive {
  if (input.epoch === undefined) throw refuse("epoch_missing");
  const bytes = Buffer.from(input.archive, "base64");
  const limit = deps.config.messageLimit;
  const parsed = parseArchiveFraming(bytes, { epoch: BigInt(input.epoch), maxBytes: limit, ...(generation !== undefined ? { generation } : {}) });
  if (!parsed.ok) throw refuse(parsed.problem, parsed.problem === "too_large" ? { limit } : {});
  return { bytes, generation: parsed.framing.generation };
}

/**
 * Refuses an archive copy in a channel whose history policy keeps none, and — where content must
 * be MLS ciphertext (`required`: the framing check is on, as in every deployment) — content sent
 * without one in a channel whose policy keeps them (checked on the batch's channel row).
 */
export function checkArchivePolicy(channel: Pick<ChannelRow, "history">, archive: Buffer | null, required: boolean): void {
  if (archive !== null && channel.history === "device-only") throw refuse("device_only");
  if (archive === null && required && channel.history !== "device-only") throw refuse("missing", { history: channel.history });
}
