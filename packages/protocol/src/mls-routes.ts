/**
 * MLS group routes (issue 3): commit bundles, GroupInfo for external joins,
 * Welcomes. The server accepts the first valid commit per epoch.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id } from "./models.ts";
import { ChannelGroupInfo, CommitBundleBody, CommitBundleResult, MlsWelcome, ResetEncryptionBody, ResetEncryptionResult } from "./mls-models.ts";

const ChannelParams = z.object({ channelId: Id });

/** MLS group routes: the server is the group's Delivery Service and checks every change against membership. */
export const mlsRoutes = {
  postCommitBundle: route({
    method: "POST",
    path: "/channels/:channelId/commits",
    tag: "mls",
    auth: "user",
    summary:
      "Post a commit bundle (commit + Welcome + GroupInfo) for the channel's current epoch, or the init bundle (epoch 0, GroupInfo only) that creates the channel's group; the first valid one per epoch wins",
    params: ChannelParams,
    body: CommitBundleBody,
    response: CommitBundleResult,
    bodyLimit: "mlsBundle",
    errors: ["stale_epoch", "channel_archived", "bad_request", "forbidden"],
  }),
  getGroupInfo: route({
    method: "GET",
    path: "/channels/:channelId/group-info",
    tag: "mls",
    auth: "user",
    summary: "The channel group's current GroupInfo, suite and pending removals (members; any org member who may join a public channel, for an external join)",
    params: ChannelParams,
    response: ChannelGroupInfo,
  }),
  resetEncryption: route({
    method: "POST",
    path: "/channels/:channelId/encryption/reset",
    tag: "mls",
    auth: "user",
    summary:
      'Reset the channel\'s encryption: the server drops the channel\'s MLS group and opens a new generation with a visible "reset" event; members\' devices create the new group and re-add every member\'s current devices. Channel admins with reason "admin"; any member\'s device with "unrecoverable" or "engine_upgrade" (at most once per cooldown)',
    params: ChannelParams,
    body: ResetEncryptionBody,
    response: ResetEncryptionResult,
    errors: ["forbidden", "rate_limited", "channel_archived", "bad_request"],
  }),
  getWelcome: route({
    method: "GET",
    path: "/channels/:channelId/welcomes/:welcomeId",
    tag: "mls",
    auth: "user",
    summary: "A Welcome and the GroupInfo of its epoch, whose ratchet tree the joiner uses (only for users whose devices it adds)",
    params: z.object({ channelId: Id, welcomeId: Id }),
    response: MlsWelcome,
  }),
} as const;
