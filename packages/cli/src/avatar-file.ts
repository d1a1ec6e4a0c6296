/**
 * A profile picture from a file, checked before it is sent: PNG, JPEG or WebP (told by the
 * file's first bytes, not its name) of at most AVATAR_MAX_BYTES. The CLI does not resize:
 * a larger picture is refused with the limit.
 */
import fs from "node:fs/promises";
import { AVATAR_MAX_BYTES, type AvatarType } from "@parley/protocol";
import { CliError } from "./errors.ts";
import { size } from "./render.ts";

/** The image type of `bytes` by its signature, or undefined. */
function imageType(bytes: Uint8Array): AvatarType | undefined {
  const starts = (sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  // RIFF, 4 bytes of length, WEBP.
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  return undefined;
}

/** The file as `setAvatar` takes it, or a CliError saying what is wrong with it. */
export async function readAvatarFile(file: string): Promise<{ contentType: AvatarType; data: string; size: number }> {
  const bytes = await fs.readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new CliError("file_unreadable", `cannot read ${file} (${err.code ?? err.message})`, "check the path");
  });
  const contentType = imageType(bytes);
  if (!contentType) throw new CliError("invalid_avatar", `${file} is not a PNG, JPEG or WebP image`, "convert it to one of those formats first");
  if (bytes.length > AVATAR_MAX_BYTES)
    throw new CliError(
      "invalid_avatar",
      `${file} is ${size(bytes.length)}; a profile picture may be at most ${size(AVATAR_MAX_BYTES)}`,
      "resize it first (e.g. to 256×256 pixels); the CLI does not resize pictures",
    );
  return { contentType, data: Buffer.from(bytes).toString("base64"), size: bytes.length };
}
