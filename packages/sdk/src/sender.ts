/**
 * A client's sends, from content to the outbox: each is encoded by the codec (with an archive copy
 * where the channel's history policy keeps them) and queued — per channel in the order of the
 * calls, because MLS hands out a sender's message generations in encryption order and receivers
 * keep only a few keys for generations that come out of order (a burst of concurrent sends
 * reordered on its way to the outbox left other devices "Unable to decrypt" the overtaken ones).
 * Only encryption and queueing take turns; the sends then travel concurrently.
 */
import type { HistoryPolicy, SendEvent } from "@parley/protocol";
import { bytesToBase64, type ContentCodec, type MessageContent } from "./codec.ts";
import type { SendInput } from "./client-options.ts";
import type { E2eeEngine } from "./e2ee/engine.ts";
import { ParleyError } from "./errors.ts";
import type { HistoryPolicies } from "./history-policies.ts";
import { newClientId, type Outbox, type SendResult } from "./outbox.ts";
import type { OutboxEntry } from "./store.ts";

export interface SenderDeps {
  codec(): ContentCodec;
  policies: HistoryPolicies;
  outbox(): Outbox;
  /** The E2EE engine (throws when encryption is off). */
  e2ee(): E2eeEngine;
  /** Bring the channel's timeline up to date (a reset the send must follow). */
  catchUp(channelId: string): Promise<void>;
  /** Refuse a send where the channel's compliance archive status does not hold up (throws `archive_mismatch`). */
  archiveCheck(channelId: string): Promise<void> | undefined;
}

export class Sender {
  readonly #d: SenderDeps;
  /** Per channel: the last send still being encrypted and queued. */
  readonly #order = new Map<string, Promise<void>>();

  constructor(deps: SenderDeps) {
    this.#d = deps;
  }

  /** Every send still being encrypted and queued has reached the outbox (or failed). */
  async idle(): Promise<void> {
    await Promise.all([...this.#order.values()]);
  }

  /** Encode, persist in the outbox and send until acknowledged. */
  async send(channelId: string, input: SendInput): Promise<SendResult> {
    const { kind = "message", threadRoot, target, mentions, files, clientId = newClientId(), ...rest } = input;
    const content: MessageContent = files ? { ...rest, files } : rest;
    const fileIds = Array.isArray(files) ? (files as { fileId: string }[]).map((f) => f.fileId) : [];
    const turn = (this.#order.get(channelId) ?? Promise.resolve()).then(async () => {
      // History keys for new members are no content of the user's: they go whatever the archive's state.
      if (kind !== "keys") await this.#d.archiveCheck(channelId);
      const event = await this.#encode(channelId, content, {
        clientId,
        kind,
        // Attachment ids let the server link uploads to the event (their keys stay inside the ciphertext).
        ...(fileIds.length ? ({ files: fileIds } as object) : {}),
        ...(threadRoot != null ? { threadRoot } : {}),
        ...(target != null ? { target } : {}),
        ...(mentions?.length ? { mentions } : {}),
      });
      return this.#d.outbox().enqueue(channelId, event);
    });
    const settled = turn.then(
      () => undefined,
      () => undefined,
    );
    this.#order.set(channelId, settled);
    void settled.then(() => {
      if (this.#order.get(channelId) === settled) this.#order.delete(channelId);
    });
    return (await turn).sent;
  }

  /**
   * A send encrypted for a group the channel has since replaced (a reset): process the reset, then
   * encrypt the same content (kept sealed for the echo) again for the new group. A send refused for
   * want of an archive copy (`history`: the channel's policy, which this client did not know) is
   * encrypted again with one.
   */
  async reencode(entry: OutboxEntry, history?: HistoryPolicy): Promise<SendEvent> {
    const e2ee = this.#d.e2ee();
    if (history) this.#d.policies.note([{ id: entry.channelId, history }]);
    else await this.#d.catchUp(entry.channelId);
    const { clientId } = entry.event;
    const content = await e2ee.sentContent(entry.channelId, clientId);
    if (!content) throw new ParleyError({ code: "bad_request", message: `the content of send ${clientId} is no longer on this device` });
    const { archive: _old, content: _sealed, epoch: _epoch, ...event } = entry.event;
    return this.#encode(entry.channelId, content, event);
  }

  /** Encode content for the channel (with an archive copy where its history policy keeps them) into the event to send. */
  async #encode(channelId: string, content: MessageContent, event: Omit<SendEvent, "content" | "epoch" | "archive">): Promise<SendEvent> {
    const encoded = await this.#d.codec().encode(channelId, content, {
      clientId: event.clientId,
      kind: event.kind,
      threadRoot: event.threadRoot ?? null,
      target: event.target ?? null,
      archive: event.kind !== "keys" && (await this.#d.policies.expectsArchive(channelId)),
    });
    return {
      ...event,
      content: bytesToBase64(encoded.bytes),
      ...(encoded.epoch !== undefined ? { epoch: encoded.epoch } : {}),
      ...(encoded.archive ? { archive: bytesToBase64(encoded.archive) } : {}),
    };
  }
}
