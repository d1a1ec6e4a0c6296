/**
 * Custom emoji images before upload: decoded by the browser and scaled down on a canvas to fit
 * 128×128 (never up), encoded as PNG (WebP when a PNG is over the limit). A GIF that already
 * fits is sent as it is, so an animated emoji keeps its animation. The server checks the type
 * and the header's dimensions again (emoji_image_invalid).
 */
import { EMOJI_LIMITS, type EmojiImageType } from "@parley/protocol";
import { bytesToBase64, decodePicture, fitWithin, pictureCanvas } from "../account/avatar-image.ts";

/** Longest side of a resized emoji, pixels. */
const EMOJI_SIZE = 128;

/** An image ready for createCustomEmoji. */
export interface EncodedEmoji {
  contentType: EmojiImageType;
  data: string;
}

/** Decode, resize and encode `file`; throws an Error whose message tells the admin what to do. */
export async function encodeEmoji(file: Blob): Promise<EncodedEmoji> {
  const bitmap = await decodePicture(file, "PNG, GIF or WebP");
  if (file.type === "image/gif" && file.size <= EMOJI_LIMITS.maxBytes && Math.max(bitmap.width, bitmap.height) <= EMOJI_LIMITS.maxPixels) {
    bitmap.close();
    return { contentType: "image/gif", data: bytesToBase64(new Uint8Array(await file.arrayBuffer())) };
  }
  const size = fitWithin(bitmap.width, bitmap.height, EMOJI_SIZE);
  const { canvas, ctx } = pictureCanvas(size.width, size.height);
  ctx.drawImage(bitmap, 0, 0, size.width, size.height);
  bitmap.close();
  for (const type of ["image/png", "image/webp"] as const) {
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, type, 0.9));
    if (!blob || blob.size > EMOJI_LIMITS.maxBytes || blob.type !== type) continue;
    return { contentType: type, data: bytesToBase64(new Uint8Array(await blob.arrayBuffer())) };
  }
  throw new Error("That picture is too large even after resizing. Try a smaller or simpler image.");
}
