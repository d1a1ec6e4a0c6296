/**
 * Data-subject exports in the client worker (docs/gdpr.md). The server's ZIP is a raw response, so
 * it comes through api.raw: the user's own, or one user's for a compliance officer. The user's own
 * can carry this device's decrypted history too, laid out by the SDK's exportHistory exactly as
 * `parley me export` does (`messages/<channel>.jsonl`, `messages/index.json`): the worker reads and
 * decrypts, re-zips, and hands the page only the finished ZIP to save — no plaintext goes to the
 * server, and the page's main thread stays free while thousands of events are read.
 */
import { strToU8, unzipSync, zipSync, type Zippable } from "fflate";
import { routes, type Event as ServerEvent } from "@parley/protocol";
import { exportHistory, type Api, type HistoryExportProgress, type ParleyClient, type ReceivedEvent } from "@parley/sdk";
import type { DataExport } from "./protocol.ts";

/** The server's export: the user's own, or (`userId`, officers) that user's. */
export async function serverExport(api: Api, userId: string | undefined): Promise<DataExport> {
  const path = userId === undefined ? routes.exportMyData.path : routes.exportUserData.path.replace(":id", encodeURIComponent(userId));
  const res = await api.raw(routes.exportMyData.method, path, { timeoutMs: 120_000 });
  const named = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1];
  return { filename: named ?? "parley-export.zip", bytes: new Uint8Array(await res.arrayBuffer()) };
}

/**
 * The user's own export with this device's decrypted history added. `readable` decodes a page of a
 * channel's events as the app reads them (its own decrypted copies first). Progress is posted on
 * `port`, one {@link HistoryExportProgress} per page; "cancel" posted to it stops the export between
 * pages (an AbortError).
 */
export async function exportWithHistory(
  client: ParleyClient,
  readable: (events: ServerEvent[]) => Promise<ReceivedEvent[]>,
  port: MessagePort,
): Promise<DataExport> {
  const stop = new AbortController();
  port.onmessage = (m: MessageEvent) => {
    if (m.data === "cancel") stop.abort(new DOMException("The export was cancelled", "AbortError"));
  };
  try {
    const server = await serverExport(client.api, undefined);
    stop.signal.throwIfAborted();
    const files: Zippable = unzipSync(server.bytes);
    const { users } = await client.api.call("listUsers", { query: { includeDeactivated: "true" } });
    const names = new Map(users.map((u) => [u.id, u.username]));
    const history = await exportHistory(
      { api: client.api, decode: readable, channels: () => client.channels() },
      {
        userId: client.userId,
        deviceId: client.session?.deviceId ?? "",
        exportedBy: "parley web",
        name: (id) => names.get(id) ?? id,
        onProgress: (p) => port.postMessage(p satisfies HistoryExportProgress),
        signal: stop.signal,
      },
    );
    for (const [name, text] of Object.entries(history.files)) files[name] = strToU8(text);
    return { filename: server.filename, bytes: zipSync(files, { level: 6 }) };
  } finally {
    port.close();
  }
}
