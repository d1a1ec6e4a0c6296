// Decoding of MLSMessage bytes shared by the client and public (server) modules.
import { decode, mlsMessageDecoder, type MlsMessage } from "ts-mls";
import { E2eeError } from "./errors.ts";

/** Internal: decodes MLSMessage bytes or throws `invalid_message`. */
export function decodeMlsMessage(bytes: Uint8Array): MlsMessage {
  let msg: MlsMessage | undefined;
  try {
    msg = decode(mlsMessageDecoder, bytes);
  } catch (cause) {
    throw new E2eeError("invalid_message", "not an MLS message", { cause });
  }
  if (!msg) throw new E2eeError("invalid_message", "not an MLS message");
  return msg;
}
