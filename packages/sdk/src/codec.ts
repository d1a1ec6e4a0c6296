/**
 * The content codec seam. Event content is opaque to the server: the SDK
 * turns what the app sends ({@link MessageContent}) into bytes with a codec,
 * ships them as base64, and decodes received bytes back. The default codec of
 * every client is the MLS codec (`MlsCodec`, end-to-end encrypted);
 * {@link PlainCodec} exists only for tests and benchmarks that measure the
 * transport without encryption, and must be named explicitly.
 */
import type { EncryptionReset, Event, SendEvent } from "@parley/protocol";

/** What an app sends in an event: text for messages/edits, an emoji for reactions. */
export interface MessageContent {
  /** Message or edit text. */
  text?: string;
  /** Reaction key (an emoji or shortcode). */
  emoji?: string;
  /** Codec-specific extras (attachments, formatting); kept as JSON by the plain codec. */
  [key: string]: unknown;
}

/** Content decoded from an event's bytes. */
export interface DecodedContent extends MessageContent {
  /** Set when the bytes could not be decoded (corrupt, or a key is missing); the event is still delivered. */
  decodeError?: string;
  /**
   * Machine-readable cause with `decodeError`: an undecryptable reason (tampered,
   * replay, own_message_unavailable…), "history_unavailable" (sent before this
   * device joined: never readable here) or "not_decrypted" (not processed yet).
   */
  decodeReason?: string;
  /** A "reset" event: the channel's encryption was reset (who, why, the new generation). */
  reset?: EncryptionReset;
  /**
   * The message's archive copy (ADR 0007) is missing, bad or says something else than the
   * message: later devices and new members would not read what is shown here. Reason: missing,
   * truncated, bad_framing, wrong_epoch, bad_signature, tampered, mismatch.
   */
  archiveFault?: { reason: string; message: string };
}

/** Event metadata a codec may bind to the content (the MLS codec seals it inside the ciphertext). */
export interface EncodeMeta {
  /** Idempotency key of the send. */
  clientId: string;
  kind: SendEvent["kind"];
  threadRoot?: number | null;
  target?: number | null;
  /** Also seal an archive copy under the epoch's history key (ADR 0007): the channel's history policy keeps them. */
  archive?: boolean;
}

/** Encoded content: the bytes, and the MLS epoch they were encrypted in (when the codec has one). */
export interface EncodedContent {
  bytes: Uint8Array;
  epoch?: number;
  /** The archive copy (when asked for and the codec has one): the same payload under the epoch's history key, signed. */
  archive?: Uint8Array;
}

/**
 * Turns content into bytes and back. `encrypted` says whether the bytes are
 * confidential from the server; UIs must warn when it is false.
 */
export interface ContentCodec {
  /** Stable name, shown in diagnostics (e.g. "plain-unencrypted", "mls"). */
  readonly name: string;
  /** Whether content is end-to-end encrypted. */
  readonly encrypted: boolean;
  /** Encode content for a channel. */
  encode(channelId: string, content: MessageContent, meta: EncodeMeta): Promise<EncodedContent>;
  /** Decode the bytes of a received event. Must not throw for bad bytes: return `decodeError` instead. */
  decode(channelId: string, event: Event, bytes: Uint8Array): Promise<DecodedContent>;
}

/**
 * UNENCRYPTED test/benchmark codec: content is JSON in UTF-8, readable by the
 * server and by anyone with database access. Never the default — a client
 * uses it only when constructed with `codec: new PlainCodec()` (transport
 * tests, benchmarks against the core figures). Check `client.codec.encrypted`
 * and show a warning if it is ever in use.
 */
export class PlainCodec implements ContentCodec {
  /** Deliberately loud so it shows up in every log and UI that prints it. */
  readonly name = "plain-unencrypted";
  /** Always false: this codec provides no confidentiality. */
  readonly encrypted = false;

  /** JSON-encode `content`. */
  async encode(_channelId: string, content: MessageContent): Promise<EncodedContent> {
    return { bytes: new TextEncoder().encode(JSON.stringify(content)) };
  }

  /** JSON-decode `bytes`; malformed bytes yield `{ decodeError }`. */
  async decode(_channelId: string, _event: Event, bytes: Uint8Array): Promise<DecodedContent> {
    try {
      const v: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      if (v && typeof v === "object" && !Array.isArray(v)) return v as DecodedContent;
      return { decodeError: "content is not a JSON object" };
    } catch (err) {
      return { decodeError: `undecodable content: ${(err as Error).message}` };
    }
  }
}

/** Standard, padded base64 of `bytes` (works in Node and browsers). */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = "";
  // Chunked so String.fromCharCode never gets more arguments than the engine allows.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/** Bytes of a standard base64 string (works in Node and browsers). */
export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The codec of a client whose E2EE engine has not started yet (replaced before the client is handed out): it refuses to encode. */
export const NOT_STARTED_CODEC: ContentCodec = {
  name: "mls",
  encrypted: true,
  encode: () => Promise.reject(new Error("E2EE not started")),
  decode: async () => ({ decodeError: "E2EE not started" }),
};

/** An event's content decoded with `codec`; a failure comes back as `decodeError`, never thrown. */
export async function decodeContent(codec: ContentCodec, e: Event): Promise<DecodedContent> {
  try {
    return await codec.decode(e.channelId, e, base64ToBytes(e.content));
  } catch (err) {
    return { decodeError: (err as Error).message };
  }
}
