/**
 * Profile pictures before upload: decoded by the browser, cropped to the centred square
 * (avatars show square or round), scaled down on a canvas to 256×256 (never up), and encoded as WebP (PNG where the browser cannot encode
 * WebP; JPEG when a PNG would still be over the size limit), then base64 for setAvatar.
 * Resizing here keeps uploads small and strips whatever metadata (location, camera) the
 * original file carried.
 */
import { AVATAR_MAX_BYTES, type AvatarType } from "@parley/protocol";

/** Longest side of an uploaded picture, pixels. */
const AVATAR_SIZE = 256;

/** A picture ready for setAvatar. */
export interface EncodedAvatar {
  contentType: AvatarType;
  /** Base64 of the image bytes. */
  data: string;
  bytes: number;
}

/** Scale `width`×`height` down (never up) to fit a `max`×`max` square, keeping the aspect ratio; at least 1×1. */
export function fitWithin(width: number, height: number, max = AVATAR_SIZE): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height, 1));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The centred square of a `width`×`height` picture: where it starts and its side. */
export function centreSquare(width: number, height: number): { x: number; y: number; side: number } {
  const side = Math.max(1, Math.min(width, height));
  return { x: Math.max(0, Math.floor((width - side) / 2)), y: Math.max(0, Math.floor((height - side) / 2)), side };
}

/** Base64 of `bytes` (in chunks: a spread of a large array overflows the call stack). */
export function bytesToBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The formats tried, in order: type, quality. A browser without a WebP encoder answers PNG for the first. */
const ATTEMPTS: Array<[AvatarType, number]> = [
  ["image/webp", 0.9],
  ["image/webp", 0.75],
  ["image/png", 1],
  ["image/jpeg", 0.85],
  ["image/jpeg", 0.6],
];

/** `file` decoded by the browser; throws an Error naming the `formats` to choose instead. */
export async function decodePicture(file: Blob, formats: string): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(file);
  } catch {
    throw new Error(`This browser cannot read that file as a picture. Choose a ${formats} image.`);
  }
}

/** A `width`×`height` canvas and its 2D context, smoothing at high quality. */
export function pictureCanvas(width: number, height: number): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("This browser cannot resize pictures (no canvas). Try another browser.");
  ctx.imageSmoothingQuality = "high";
  return { canvas, ctx };
}

/** Decode, resize and encode `file`; throws an Error whose message tells the user what to do. */
export async function encodeAvatar(file: Blob): Promise<EncodedAvatar> {
  const bitmap = await decodePicture(file, "PNG, JPEG or WebP");
  const crop = centreSquare(bitmap.width, bitmap.height);
  const size = fitWithin(crop.side, crop.side);
  const { canvas, ctx } = pictureCanvas(size.width, size.height);
  ctx.drawImage(bitmap, crop.x, crop.y, crop.side, crop.side, 0, 0, size.width, size.height);
  bitmap.close();
  for (const [type, quality] of ATTEMPTS) {
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, type, quality));
    if (!blob || blob.size > AVATAR_MAX_BYTES) continue;
    // toBlob falls back to PNG for a type it cannot encode: label the bytes by what they are.
    const contentType: AvatarType = blob.type === "image/webp" || blob.type === "image/jpeg" ? blob.type : "image/png";
    return { contentType, data: bytesToBase64(new Uint8Array(await blob.arrayBuffer())), bytes: blob.size };
  }
  throw new Error("That picture is too large even after resizing. Try a smaller or simpler image.");
}
