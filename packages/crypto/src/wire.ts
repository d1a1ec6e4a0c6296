// Decoding of MLSMessage bytes shared by the client and public (server) modules.
import { mlsMessageDecoder, type MlsMessage } from "ts-mls";
import { E2eeError } from "./errors.ts";

/** ts-mls's own ceiling for one decoded message. */
const MAX_INPUT = 64_000_000;

/**
 * Internal: decodes MLSMessage bytes or throws `invalid_message`. The message must span
 * the bytes exactly: ts-mls's `decode()` ignores whatever follows a message, so plaintext
 * appended to real ciphertext would pass the server's ciphertext-only check and be stored.
 */
export function decodeMlsMessage(bytes: Uint8Array): MlsMessage {
  if (bytes.length > MAX_INPUT) throw new E2eeError("invalid_message", "MLS message too large");
  let res: [MlsMessage, number] | undefined;
  try {
    res = mlsMessageDecoder(bytes, 0);
  } catch (cause) {
    throw new E2eeError("invalid_message", "not an MLS message", { cause });
  }
  if (!res) throw new E2eeError("invalid_message", "not an MLS message");
  if (res[1] !== bytes.length) throw new E2eeError("invalid_message", `${bytes.length - res[1]} bytes follow the MLS message`);
  return res[0];
}
