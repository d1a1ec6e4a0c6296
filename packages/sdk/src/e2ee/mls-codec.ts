/**
 * The default content codec: content is sealed in MLS application messages
 * (PrivateMessage bytes) of the channel's group, so the server stores and
 * routes only ciphertext. Decryption happens in timeline order inside the
 * {@link E2eeEngine}; `decode` serves content this device already decrypted
 * (MLS message keys are used once, so ciphertext cannot be opened twice).
 */
import type { Event } from "@parley/protocol";
import type { ContentCodec, DecodedContent, EncodeMeta, EncodedContent, MessageContent } from "../codec.ts";
import type { E2eeEngine } from "./engine.ts";

/** End-to-end encrypted codec over a device's {@link E2eeEngine}. */
export class MlsCodec implements ContentCodec {
  /** Shown in diagnostics. */
  readonly name = "mls";
  /** Always true. */
  readonly encrypted = true;
  readonly #engine: E2eeEngine;

  constructor(engine: E2eeEngine) {
    this.#engine = engine;
  }

  /** Encrypt for the channel's group (joining or creating it first if needed); the epoch goes into the event. */
  async encode(channelId: string, content: MessageContent, meta: EncodeMeta): Promise<EncodedContent> {
    return this.#engine.encrypt(channelId, content, meta);
  }

  /** Content this device decrypted earlier, or a `decodeError` (never throws). */
  async decode(_channelId: string, event: Event): Promise<DecodedContent> {
    return this.#engine.decoded(event);
  }
}
