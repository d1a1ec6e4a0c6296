import type { FastifyReply } from "fastify";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import { eraseUser } from "./erase.ts";
import { exportMyData, exportUserData } from "./export.ts";
import { createErasureRequest, declineRequest, listMyRequests, listRequests } from "./requests.ts";

/** Send an export as a download (register.ts has already set Cache-Control: no-store). */
async function sendZip(reply: FastifyReply, out: { zip: Uint8Array; filename: string }): Promise<void> {
  await reply
    .code(200)
    .header("Content-Type", "application/zip")
    .header("Content-Disposition", `attachment; filename="${out.filename.replace(/[^A-Za-z0-9._-]/g, "_")}"`)
    .header("X-Content-Type-Options", "nosniff")
    .header("Content-Length", String(out.zip.length))
    .send(Buffer.from(out.zip.buffer, out.zip.byteOffset, out.zip.byteLength));
}

/** Data-subject rights routes (protocol gdpr-routes.ts). */
export const gdprHandlers: ModuleHandlers<
  "exportMyData" | "createGdprRequest" | "listMyGdprRequests" | "listGdprRequests" | "declineGdprRequest" | "exportUserData" | "eraseUser"
> = {
  exportMyData: async (_input, ctx) => sendZip(ctx.reply, await exportMyData(ctx.deps, principalOf(ctx))),
  createGdprRequest: ({ body }, ctx) => createErasureRequest(ctx.deps, principalOf(ctx), body.note),
  listMyGdprRequests: (_input, ctx) => listMyRequests(ctx.deps, principalOf(ctx)),
  listGdprRequests: ({ query }, ctx) => listRequests(ctx.deps, principalOf(ctx), query),
  declineGdprRequest: ({ params, body }, ctx) => declineRequest(ctx.deps, principalOf(ctx), params.id, body.response),
  exportUserData: async ({ params }, ctx) => sendZip(ctx.reply, await exportUserData(ctx.deps, principalOf(ctx), params.id)),
  eraseUser: ({ params, body }, ctx) => eraseUser(ctx.deps, principalOf(ctx), params.id, body),
};
