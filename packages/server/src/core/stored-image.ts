/** Serving an image the server stored after checking its type (profile pictures, custom emoji). */
import type { FastifyReply } from "fastify";

/** A stored image: its checked type, bytes and content-hash version. */
export interface StoredImage {
  contentType: string;
  data: Buffer;
  version: string;
}

/** Send `image`: only the type the upload checked, never sniffed into anything else, never a document. */
export async function sendStoredImage(reply: FastifyReply, image: StoredImage): Promise<void> {
  await reply
    .header("Content-Type", image.contentType)
    .header("X-Content-Type-Options", "nosniff")
    .header("Content-Security-Policy", "default-src 'none'; sandbox")
    .header("Cache-Control", "private, max-age=300")
    .header("ETag", `"${image.version}"`)
    .send(image.data);
}
