import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import { createHold, listHolds, releaseHold } from "./holds.ts";
import { clearChannelRetention, getRetention, requestRetentionRun, setChannelRetention, setRetention } from "./retention.ts";
import {
  appendArchiveKeys,
  getArchivePolicy,
  listArchivedChannels,
  listArchiveEvents,
  listArchiveExports,
  listArchiveKeys,
  openArchiveFile,
  recordArchiveExport,
  setArchivePolicy,
} from "./archive.ts";

/** Compliance routes (protocol compliance-routes.ts). */
export const complianceHandlers: ModuleHandlers<
  "getRetention" | "setRetention" | "setChannelRetention" | "clearChannelRetention" | "runRetention" | "listHolds" | "createHold" | "releaseHold"
> = {
  getRetention: (_input, ctx) => getRetention(ctx.deps, principalOf(ctx)),
  setRetention: ({ body }, ctx) => setRetention(ctx.deps, principalOf(ctx), body),
  setChannelRetention: ({ params, body }, ctx) => setChannelRetention(ctx.deps, principalOf(ctx), params.channelId, body),
  clearChannelRetention: ({ params }, ctx) => clearChannelRetention(ctx.deps, principalOf(ctx), params.channelId),
  runRetention: (_input, ctx) => requestRetentionRun(ctx.deps, principalOf(ctx)),
  listHolds: ({ query }, ctx) => listHolds(ctx.deps, principalOf(ctx), query.status),
  createHold: ({ body }, ctx) => createHold(ctx.deps, principalOf(ctx), body),
  releaseHold: ({ params, body }, ctx) => releaseHold(ctx.deps, principalOf(ctx), params.holdId, body.note),
};

/** Compliance archive routes (protocol archive-routes.ts). */
export const archiveHandlers: ModuleHandlers<
  | "getArchivePolicy"
  | "setArchivePolicy"
  | "appendArchiveKeys"
  | "listArchivedChannels"
  | "listArchiveKeys"
  | "listArchiveEvents"
  | "downloadArchiveFile"
  | "recordArchiveExport"
  | "listArchiveExports"
> = {
  getArchivePolicy: (_input, ctx) => getArchivePolicy(ctx.deps, principalOf(ctx)),
  setArchivePolicy: ({ body }, ctx) => setArchivePolicy(ctx.deps, principalOf(ctx), body),
  appendArchiveKeys: ({ params, body }, ctx) => appendArchiveKeys(ctx.deps, principalOf(ctx), params.channelId, body),
  listArchivedChannels: (_input, ctx) => listArchivedChannels(ctx.deps, principalOf(ctx)),
  listArchiveKeys: ({ params }, ctx) => listArchiveKeys(ctx.deps, principalOf(ctx), params.channelId),
  listArchiveEvents: ({ params, query }, ctx) => listArchiveEvents(ctx.deps, principalOf(ctx), params.channelId, query.after, query.limit),
  downloadArchiveFile: async ({ params }, ctx) => {
    const f = await openArchiveFile(ctx.deps, principalOf(ctx), params.fileId);
    void ctx.reply
      .code(200)
      .header("Content-Type", "application/octet-stream")
      .header("Content-Disposition", "attachment")
      .header("Content-Length", String(f.size))
      .header("Cache-Control", "private, no-store");
    await ctx.reply.send(f.stream);
  },
  recordArchiveExport: ({ body }, ctx) => recordArchiveExport(ctx.deps, principalOf(ctx), body),
  listArchiveExports: (_input, ctx) => listArchiveExports(ctx.deps, principalOf(ctx)),
};
