/**
 * A data-subject export (GDPR Art. 15 and 20) saved as a file: the worker fetches the server's ZIP
 * (the user's own, or one user's for a compliance officer) and the page hands the bytes to the
 * browser as a download. The server's ZIP holds what the server knows; message content is
 * end-to-end encrypted, so for the user's own export the worker can add this device's decrypted
 * history to it (worker/data-export.ts) — read on the device, never sent anywhere.
 */
import type { HistoryExportProgress } from "@parley/sdk";
import type { ChatStore } from "../client/chat-store.ts";
import type { DataExport } from "../worker/protocol.ts";
import { saveBlob } from "../components/save-blob.ts";

function save({ filename, bytes }: DataExport): string {
  saveBlob(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/zip" }), filename);
  return filename;
}

/** Download the export and save it; resolves with the file name once the browser has it. */
export async function downloadDataExport(chat: ChatStore, userId?: string): Promise<string> {
  return save(await chat.client.dataExport(userId));
}

/**
 * Download the user's own export with this device's decrypted messages added, as one ZIP; resolves
 * with the file name once saved. Aborting `signal` cancels it (an AbortError).
 */
export async function downloadMyDataWithHistory(
  chat: ChatStore,
  opts: { onProgress?: (p: HistoryExportProgress) => void; signal?: AbortSignal },
): Promise<string> {
  return save(await chat.client.dataExportWithHistory(opts));
}
