/**
 * Message content through the SDK's codec seam. Until E2EE lands this CLI
 * uses the plain codec, and says so on stderr wherever content is shown or sent.
 */
import type { Event } from "@parley/protocol";
import { PlainCodec, base64ToBytes, type ContentCodec } from "@parley/sdk/node";
import type { Ctx } from "./command.ts";
import type { Content } from "./render.ts";

/** The codec of this CLI build (the E2EE codec replaces it). */
export const codec: ContentCodec = new PlainCodec();

/** Stderr notice, never in --json stdout: users must know the server can read their messages. */
export function plainNotice(ctx: Ctx): void {
  if (!codec.encrypted) ctx.out.note(`note: messages are NOT end-to-end encrypted yet (plain codec "${codec.name}")`);
}

/** Decoded content of an event (a decode failure is reported in `decodeError`, never thrown). */
export async function decode(e: Event): Promise<Content> {
  return codec.decode(e.channelId, e, base64ToBytes(e.content));
}
