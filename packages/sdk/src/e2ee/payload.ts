/**
 * The plaintext inside an MLS application message: the app's content plus
 * the event metadata the server also sees (kind, thread root, target). Binding
 * the metadata inside the ciphertext lets a receiver detect a server that
 * relabels an event (turns a message into a delete, moves it to a thread).
 */
import type { Event, SendEvent } from "@parley/protocol";
import type { DecodedContent, MessageContent } from "../codec.ts";
import type { Step } from "./step.ts";

/** Event metadata that is sealed with the content. */
export interface SealedMeta {
  kind: SendEvent["kind"];
  threadRoot?: number | null | undefined;
  target?: number | null | undefined;
}

interface Payload {
  v: 1;
  kind: string;
  threadRoot: number | null;
  target: number | null;
  content: MessageContent;
}

/** Bytes to encrypt for `content` sent with `meta`. */
export function sealPayload(content: MessageContent, meta: SealedMeta): Uint8Array {
  const p: Payload = { v: 1, kind: meta.kind, threadRoot: meta.threadRoot ?? null, target: meta.target ?? null, content };
  return new TextEncoder().encode(JSON.stringify(p));
}

/** Decrypted bytes back to content, checked against the event's metadata. */
export function openPayload(plaintext: Uint8Array, e: Event): Step {
  let p: Payload;
  try {
    p = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext)) as Payload;
  } catch {
    return { t: "undecryptable", reason: "malformed", message: "decrypted content is not a Parley payload" };
  }
  if (!p || p.v !== 1 || typeof p.content !== "object" || p.content === null) {
    return { t: "undecryptable", reason: "malformed", message: "decrypted content is not a Parley payload" };
  }
  if (p.kind !== e.kind || p.threadRoot !== e.threadRoot || p.target !== e.target) {
    return { t: "undecryptable", reason: "metadata_mismatch", message: "the event's kind, thread or target differs from what the sender encrypted" };
  }
  return { t: "content", content: p.content as DecodedContent };
}
