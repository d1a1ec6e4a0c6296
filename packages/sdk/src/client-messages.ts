/**
 * The message part of ParleyClient's API: one shorthand per kind of event an app sends (message,
 * thread reply, reaction, edit, delete) over the client's `send`, files, and history read back
 * decoded. ParleyClient extends this class; it needs nothing but the client's public members, so
 * it lives apart from the wiring of client.ts.
 */
import type { Event } from "@parley/protocol";
import { decodeContent, type ContentCodec } from "./codec.ts";
import { toReceivedEvent, type ClientEvents, type ReceivedEvent } from "./client-events.ts";
import type { SendInput } from "./client-options.ts";
import { Emitter } from "./emitter.ts";
import { ParleyError } from "./errors.ts";
import type { E2eeEngine } from "./e2ee/engine.ts";
import { downloadFile, sendFileMessage, type FileDescriptor, type SendFileOptions } from "./e2ee/files.ts";
import type { Api } from "./http.ts";
import type { SendResult } from "./outbox.ts";
import { Inbox } from "./inbox.ts";
import { pollContent, type PollSpec } from "./polls.ts";

/** The E2EE engine, or a `bad_request` error when encryption is off (a test codec was named). */
export function requireE2ee(e2ee: E2eeEngine | undefined): E2eeEngine {
  if (!e2ee) throw new ParleyError({ code: "bad_request", message: "end-to-end encryption is off (a test codec was named)" });
  return e2ee;
}

export abstract class ClientMessages extends Emitter<ClientEvents> {
  /** Typed REST client, authenticated as this device. */
  abstract readonly api: Api;
  /** Content codec in use. */
  abstract get codec(): ContentCodec;
  /** The signed-in user's id. */
  abstract get userId(): string;
  /** The E2EE engine of this device (undefined only with an explicit test codec). */
  abstract get e2ee(): E2eeEngine | undefined;
  /** Send an event: encoded by the codec, persisted in the outbox, retried with the same clientId until acknowledged. */
  abstract send(channelId: string, input: SendInput): Promise<SendResult>;

  /** Send a text message. */
  sendMessage(channelId: string, text: string, opts: { mentions?: string[] } = {}): Promise<SendResult> {
    return this.send(channelId, { kind: "message", text, ...opts });
  }

  /** Reply in the thread rooted at `rootSeq`. */
  reply(channelId: string, rootSeq: number, text: string, opts: { mentions?: string[] } = {}): Promise<SendResult> {
    return this.send(channelId, { kind: "message", text, threadRoot: rootSeq, ...opts });
  }

  /** Send a poll (polls.ts: members vote by reacting with the option's keycap; all of it end to end encrypted). */
  sendPoll(channelId: string, spec: PollSpec, opts: { threadRoot?: number | null } = {}): Promise<SendResult> {
    return this.send(channelId, { kind: "message", ...pollContent(spec), threadRoot: opts.threadRoot ?? null });
  }

  /** React to event `targetSeq` with `emoji` (remove it later with {@link delete} on the reaction's seq). */
  react(channelId: string, targetSeq: number, emoji: string): Promise<SendResult> {
    return this.send(channelId, { kind: "reaction", emoji, target: targetSeq });
  }

  /** Replace the text of own message `targetSeq`. */
  edit(channelId: string, targetSeq: number, text: string): Promise<SendResult> {
    return this.send(channelId, { kind: "edit", text, target: targetSeq });
  }

  /** Delete event `targetSeq` (a message, or a reaction to retract it). */
  delete(channelId: string, targetSeq: number): Promise<SendResult> {
    return this.send(channelId, { kind: "delete", target: targetSeq });
  }

  /**
   * Send a file: encrypted on this device (fresh key), uploaded as ciphertext,
   * and announced by an MLS-encrypted message whose content carries
   * `files: [FileDescriptor]` (key, nonce base, digest never reach the server).
   */
  async sendFile(channelId: string, data: Uint8Array | ReadableStream<Uint8Array>, opts: SendFileOptions): Promise<SendResult & { file: FileDescriptor }> {
    await this.e2ee?.archive.check(channelId); // refused before the upload, like the message would be
    return sendFileMessage(requireE2ee(this.e2ee).server, (id, input) => this.send(id, input), channelId, data, opts);
  }

  /** Download and decrypt a file from a message's `content.files`; the stream errors (E2eeError `attachment_*`) on tampering, truncation or a digest mismatch. */
  downloadFile(file: FileDescriptor): Promise<ReadableStream<Uint8Array>> {
    return downloadFile(requireE2ee(this.e2ee).server, file);
  }

  /** Decode server events (e.g. a history page from `api.call("listEvents")`) without touching the sync state. */
  async decode(events: Event[]): Promise<ReceivedEvent[]> {
    return Promise.all(events.map(async (e) => toReceivedEvent(e, await decodeContent(this.codec, e), this.userId)));
  }

  /** The inbox: mentions, followed threads, thread follow/read state, mark as unread (open an item with {@link eventAt}). */
  get inbox(): Inbox {
    return new Inbox(this.api);
  }

  /** Event `seq` of a channel decoded on this device (an inbox item's text), or undefined when the server has no such event. */
  async eventAt(channelId: string, seq: number): Promise<ReceivedEvent | undefined> {
    const r = await this.api.call("listEvents", { params: { channelId }, query: { after: seq - 1, limit: 1 } });
    const e = r.events.find((x) => x.seq === seq);
    return e ? (await this.decode([e]))[0] : undefined;
  }

  /**
   * A page of a channel's history from the server, decoded: content this device
   * decrypted earlier comes from its sealed history cache (also across restarts);
   * events from before it joined carry `content.decodeReason === "history_unavailable"`.
   * Oldest first; feed it to a {@link Timeline}.
   */
  async history(channelId: string, opts: { before?: number; limit?: number } = {}): Promise<{ events: ReceivedEvent[]; hasMore: boolean }> {
    const r = await this.api.call("listEvents", {
      params: { channelId },
      query: { limit: opts.limit ?? 100, ...(opts.before !== undefined ? { before: opts.before } : {}) },
    });
    const events = [...r.events].sort((a, b) => a.seq - b.seq);
    return { events: await this.decode(events), hasMore: r.hasMore };
  }
}
