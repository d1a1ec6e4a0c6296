/**
 * Custom emoji image checks: the bytes must be the image type they claim (magic numbers) and
 * their header must give dimensions within the limit. The server never decodes the pixels;
 * browsers render the image in an <img>, and the server serves it with nosniff and a
 * sandboxing CSP, so no script or HTML can be served from the API's origin.
 */
import type { EmojiImageType } from "@parley/protocol";

/** Width and height from the image header, or undefined when it is not a well-formed `type` header. */
export function emojiDimensions(type: EmojiImageType, b: Buffer): { width: number; height: number } | undefined {
  if (type === "image/png") {
    const magic = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // The first chunk of a PNG is IHDR: width and height, big-endian u32.
    if (b.length < 24 || !b.subarray(0, 8).equals(magic) || b.subarray(12, 16).toString("latin1") !== "IHDR") return undefined;
    return positive(b.readUInt32BE(16), b.readUInt32BE(20));
  }
  if (type === "image/gif") {
    const sig = b.subarray(0, 6).toString("latin1");
    if (b.length < 10 || (sig !== "GIF87a" && sig !== "GIF89a")) return undefined;
    return positive(b.readUInt16LE(6), b.readUInt16LE(8));
  }
  if (b.length < 30 || b.subarray(0, 4).toString("latin1") !== "RIFF" || b.subarray(8, 12).toString("latin1") !== "WEBP") return undefined;
  const chunk = b.subarray(12, 16).toString("latin1");
  if (chunk === "VP8X") return positive(1 + b.readUIntLE(24, 3), 1 + b.readUIntLE(27, 3));
  if (chunk === "VP8 ") {
    // Lossy: a key frame's start code, then 14-bit width and height.
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
    return positive(b.readUInt16LE(26) & 0x3fff, b.readUInt16LE(28) & 0x3fff);
  }
  if (chunk === "VP8L") {
    // Lossless: signature 0x2f, then width-1 and height-1 in 14 bits each.
    if (b[20] !== 0x2f) return undefined;
    const bits = b.readUInt32LE(21);
    return positive((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  return undefined;
}

function positive(width: number, height: number): { width: number; height: number } | undefined {
  return width > 0 && height > 0 ? { width, height } : undefined;
}
