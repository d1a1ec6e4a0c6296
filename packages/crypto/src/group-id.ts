import { utf8 } from "./bytes.ts";
import { E2eeError } from "./errors.ts";

/** Group ids are channel ids; strings are taken as UTF-8 (1..255 bytes). */
export function groupIdBytes(groupId: Uint8Array | string): Uint8Array {
  const b = typeof groupId === "string" ? utf8(groupId) : groupId;
  if (b.length === 0 || b.length > 255) throw new E2eeError("bad_input", "group id must be 1..255 bytes");
  return b;
}
