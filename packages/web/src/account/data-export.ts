/**
 * A data-subject export (GDPR Art. 15 and 20) saved as a file: the worker fetches the server's ZIP
 * (the user's own, or one user's for a compliance officer) and the page hands the bytes to the
 * browser as a download. The ZIP holds what the server knows; message content is end-to-end
 * encrypted and is exported on a device (`parley me export`).
 */
import type { ChatStore } from "../client/chat-store.ts";
import { saveBlob } from "../components/save-blob.ts";

/** Download the export and save it; resolves with the file name once the browser has it. */
export async function downloadDataExport(chat: ChatStore, userId?: string): Promise<string> {
  const { filename, bytes } = await chat.client.dataExport(userId);
  saveBlob(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/zip" }), filename);
  return filename;
}
