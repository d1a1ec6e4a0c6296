/**
 * What a device can show again without its MLS keys (they are single-use): the
 * plaintext of its own sends until their echo is processed (MLS cannot decrypt
 * one's own messages), and content it decrypted lately. Memory first, then the
 * sealed history in the local store, which outlives the process.
 */
import type { Event } from "@parley/protocol";
import type { DecodedContent, MessageContent } from "../codec.ts";
import type { DecryptedHistory } from "./history.ts";

const DECODED_MAX = 5000;

export class ContentCache {
  readonly #history: DecryptedHistory;
  readonly #sent = new Map<string, MessageContent>();
  readonly #decoded = new Map<string, { channelId: string; seq: number; content: DecodedContent }>();

  constructor(history: DecryptedHistory) {
    this.#history = history;
  }

  /** Keep an own send's plaintext for its echo, sealed first so an echo processed after a restart still shows it. */
  async keepSent(channelId: string, clientId: string, content: MessageContent): Promise<void> {
    this.#sent.set(clientId, content);
    await this.#history.putSent(channelId, clientId, content);
  }

  /** An own send's plaintext, if still kept. */
  async sent(channelId: string, clientId: string): Promise<MessageContent | undefined> {
    return this.#sent.get(clientId) ?? (await this.#history.getSent(channelId, clientId));
  }

  /** An own send's plaintext for its echo (forgotten in memory; the sealed copy goes once the echo is processed). */
  async takeSent(channelId: string, clientId: string): Promise<DecodedContent | undefined> {
    const c = await this.sent(channelId, clientId);
    this.#sent.delete(clientId);
    return c;
  }

  /** Content just shown for an event (bounded: the oldest goes first). */
  remember(e: Pick<Event, "id" | "channelId" | "seq">, content: DecodedContent): void {
    this.#decoded.set(e.id, { channelId: e.channelId, seq: e.seq, content });
    if (this.#decoded.size > DECODED_MAX) this.#decoded.delete(this.#decoded.keys().next().value!);
  }

  /** Content decrypted earlier for an event, if this device has it. */
  async decoded(e: Event): Promise<DecodedContent | undefined> {
    return this.#decoded.get(e.id)?.content ?? (await this.#history.get(e));
  }

  /** Forget what was shown of a channel's events below `seq` (retention removed them; the sealed copies go from the store). */
  forgetBelow(channelId: string, seq: number): void {
    for (const [id, d] of this.#decoded) if (d.channelId === channelId && d.seq < seq) this.#decoded.delete(id);
  }
}
