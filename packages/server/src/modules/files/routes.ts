import type { fileRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { appendChunk, createUpload, openDownload, uploadStatus } from "./commands.ts";

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Handlers of the encrypted file routes. */
export const filesHandlers: ModuleHandlers<keyof typeof fileRoutes> = {
  createFile: ({ params, body }, { deps, principal }) => createUpload(deps, principal, params.channelId, body.size),
  uploadFileChunk: async ({ params }, { deps, principal, req, reply, rawBody }) => {
    try {
      return await appendChunk(deps, principal, params.fileId, rawBody, {
        offset: header(req.headers["upload-offset"]),
        length: header(req.headers["content-length"]),
      });
    } catch (err) {
      // A rejected chunk may still be arriving: do not keep the connection around to drain it.
      if (rawBody && !rawBody.readableEnded) void reply.header("Connection", "close");
      throw err;
    }
  },
  getFileStatus: ({ params }, { deps, principal }) => uploadStatus(deps, principal, params.fileId),
  downloadFile: async ({ params }, { deps, principal, req, reply }) => {
    const d = await openDownload(deps, principal, params.fileId, header(req.headers.range));
    void reply
      .header("Content-Type", "application/octet-stream")
      .header("Content-Disposition", "attachment")
      .header("Accept-Ranges", "bytes")
      .header("Cache-Control", "private, no-store");
    if (d.range) {
      void reply
        .code(206)
        .header("Content-Range", `bytes ${d.range.start}-${d.range.end}/${d.size}`)
        .header("Content-Length", String(d.range.end - d.range.start + 1));
    } else {
      void reply.code(200).header("Content-Length", String(d.size));
    }
    await reply.send(d.stream);
  },
};
