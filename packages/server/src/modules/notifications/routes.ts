/** Notification routes (protocol notification-routes.ts): settings and Web Push subscriptions. */
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import { getNotificationSettings, setChannelNotifications, updateNotificationSettings } from "./settings.ts";
import { createPushSubscription, deletePushSubscription, listPushSubscriptions } from "./subscriptions.ts";
import { vapidKeys } from "./vapid.ts";
import { unsubscribeMentionEmail } from "./unsubscribe.ts";

export const notificationHandlers: ModuleHandlers<
  | "getNotificationSettings"
  | "updateNotificationSettings"
  | "setChannelNotifications"
  | "getPushKey"
  | "createPushSubscription"
  | "listPushSubscriptions"
  | "deletePushSubscription"
  | "unsubscribeMentionEmail"
> = {
  getNotificationSettings: (_input, ctx) => getNotificationSettings(ctx.deps, principalOf(ctx)),
  updateNotificationSettings: ({ body }, ctx) => updateNotificationSettings(ctx.deps, principalOf(ctx), body),
  setChannelNotifications: ({ params, body }, ctx) => setChannelNotifications(ctx.deps, principalOf(ctx), params.channelId, body.level),
  getPushKey: async (_input, ctx) => {
    principalOf(ctx);
    return { publicKey: (await vapidKeys(ctx.deps)).publicKey };
  },
  createPushSubscription: ({ body }, ctx) => createPushSubscription(ctx.deps, principalOf(ctx), body),
  listPushSubscriptions: (_input, ctx) => listPushSubscriptions(ctx.deps, principalOf(ctx)),
  deletePushSubscription: ({ params }, ctx) => deletePushSubscription(ctx.deps, principalOf(ctx), params.subscriptionId),
  unsubscribeMentionEmail: ({ body }, ctx) => unsubscribeMentionEmail(ctx.deps, body.token),
};
