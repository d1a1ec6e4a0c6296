/**
 * Notifications (issue 13): a user's notification settings (default level, per-channel
 * overrides, do-not-disturb with a weekly schedule and a snooze) and their devices' Web Push
 * subscriptions, and the email sent about unread mentions after some minutes offline (counts and
 * channel names only; an unsubscribe link). Keywords are matched on the device and never sent to
 * the server in clear (they travel sealed in the user's key locker). A push
 * carries no content: only the org, channel, seq and sender ids ({@link PushPayload}); the
 * device opens the message from its own keys.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id, Timestamp } from "./models.ts";
import { KnownTimeZone } from "./profile-models.ts";

/** What a user is notified of by default: every message, mentions and DMs only, or nothing. */
export const NotifyLevel = z.enum(["all", "mentions", "nothing"]);
export type NotifyLevel = z.infer<typeof NotifyLevel>;

/** A channel's override: a level, `muted` (never notified, not even of mentions), or `default` (the user's level). */
export const ChannelNotifyLevel = z.enum(["default", "all", "mentions", "nothing", "muted"]);
export type ChannelNotifyLevel = z.infer<typeof ChannelNotifyLevel>;

/** Minutes since local midnight (0–1439). */
const MinuteOfDay = z.number().int().min(0).max(1439);

/**
 * One do-not-disturb window of the weekly schedule, in the user's time zone: on `day` (0 = Sunday)
 * from `start` to `end` minutes after midnight; an `end` at or before `start` runs past midnight
 * into the next day.
 */
export const DndWindow = z.object({ day: z.number().int().min(0).max(6), start: MinuteOfDay, end: MinuteOfDay });
export type DndWindow = z.infer<typeof DndWindow>;

/**
 * Email about unread mentions: when on, a user who is mentioned and has no device online for
 * `delayMinutes` gets one email with the number of unread mentions per channel (never content),
 * at most one per PARLEY_MENTION_EMAIL_WINDOW_MINUTES.
 */
export const MentionEmailSettings = z.object({
  enabled: z.boolean(),
  /** Minutes offline after a mention before the email (1–1440). */
  delayMinutes: z.number().int().min(1).max(1440),
});
export type MentionEmailSettings = z.infer<typeof MentionEmailSettings>;

/** A user's notification settings as the API shows them. */
export const NotificationSettings = z.object({
  level: NotifyLevel,
  /** The time zone the do-not-disturb schedule is read in. */
  timeZone: KnownTimeZone,
  /** Weekly do-not-disturb windows (at most 28). */
  dndSchedule: z.array(DndWindow).max(28),
  /** No notifications before this time (ms); null: not snoozed. */
  snoozeUntil: Timestamp.nullable(),
  /** Email about unread mentions while offline (off by default). */
  email: MentionEmailSettings,
  /**
   * The user's notification keywords, sealed by one of their devices to their key locker's public
   * key (base64; null: none). Opaque to the server: only the user's devices open it and match
   * keywords against decrypted messages.
   */
  keywordsSealed: z.string().max(8192).nullable(),
  /** Per-channel overrides (channels left at `default` are not listed). */
  channels: z.array(z.object({ channelId: Id, level: ChannelNotifyLevel.exclude(["default"]) })),
});
export type NotificationSettings = z.infer<typeof NotificationSettings>;

/**
 * A Web Push subscription of one of the caller's devices (the browser's PushSubscription).
 * The endpoint must be https (a test-only setting also allows http://127.0.0.1).
 */
export const PushSubscription = z.object({
  id: Id,
  deviceId: Id,
  endpoint: z.string(),
  createdAt: Timestamp,
});
export type PushSubscription = z.infer<typeof PushSubscription>;

const B64Url = z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/, "base64url");

/** What a push message carries: ids only, never content. The service worker opens the message from the device's keys. */
export const PushPayload = z.object({
  v: z.literal(1),
  orgId: Id,
  channelId: Id,
  seq: z.number().int().positive(),
  senderId: Id,
});
export type PushPayload = z.infer<typeof PushPayload>;

export const notificationRoutes = {
  getNotificationSettings: route({
    method: "GET",
    path: "/me/notifications",
    tag: "notifications",
    auth: "user",
    summary: "Your notification settings: default level, do-not-disturb schedule and snooze, per-channel overrides",
    response: NotificationSettings,
  }),
  updateNotificationSettings: route({
    method: "PATCH",
    path: "/me/notifications",
    tag: "notifications",
    auth: "user",
    summary: "Change your default level, time zone, do-not-disturb schedule, snooze or mention email (fields left out stay as they are)",
    body: z
      .object({
        level: NotifyLevel.optional(),
        timeZone: KnownTimeZone.optional(),
        dndSchedule: z.array(DndWindow).max(28).optional(),
        snoozeUntil: Timestamp.nullable().optional(),
        email: MentionEmailSettings.partial().strict().optional(),
        keywordsSealed: z
          .string()
          .max(8192)
          .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, "base64")
          .nullable()
          .optional(),
      })
      .strict(),
    response: NotificationSettings,
  }),
  unsubscribeMentionEmail: route({
    method: "POST",
    path: "/notifications/email/unsubscribe",
    tag: "notifications",
    auth: "none",
    summary:
      "Turn off mention email with the token of an email's unsubscribe link (no sign-in needed; the token names the user). Idempotent: `changed` is false when it was already off",
    body: z.object({ token: z.string().min(1).max(2048) }).strict(),
    response: z.object({ changed: z.boolean() }),
    errors: ["unsubscribe_token_invalid"],
  }),
  setChannelNotifications: route({
    method: "PUT",
    path: "/me/notifications/channels/:channelId",
    tag: "notifications",
    auth: "user",
    summary: "Set how a channel you are a member of notifies you (`default` removes the override)",
    params: z.object({ channelId: Id }),
    body: z.object({ level: ChannelNotifyLevel }).strict(),
    response: NotificationSettings,
    errors: ["not_found", "forbidden"],
  }),
  getPushKey: route({
    method: "GET",
    path: "/push/vapid-key",
    tag: "notifications",
    auth: "user",
    summary: "The server's VAPID public key (uncompressed P-256 point, base64url): the applicationServerKey of PushManager.subscribe()",
    response: z.object({ publicKey: z.string() }),
  }),
  createPushSubscription: route({
    method: "POST",
    path: "/push/subscriptions",
    tag: "notifications",
    auth: "user",
    status: 201,
    summary: "Register this device's Web Push subscription (the same endpoint again replaces its keys)",
    body: z
      .object({
        endpoint: z.string().max(2048),
        keys: z.object({ p256dh: B64Url.max(200), auth: B64Url.max(100) }),
      })
      .strict(),
    response: PushSubscription,
    errors: ["push_endpoint_invalid", "push_subscription_limit"],
  }),
  listPushSubscriptions: route({
    method: "GET",
    path: "/push/subscriptions",
    tag: "notifications",
    auth: "user",
    summary: "Your devices' Web Push subscriptions",
    response: z.object({ subscriptions: z.array(PushSubscription) }),
  }),
  deletePushSubscription: route({
    method: "DELETE",
    path: "/push/subscriptions/:subscriptionId",
    tag: "notifications",
    auth: "user",
    summary: "Remove one of your Web Push subscriptions",
    params: z.object({ subscriptionId: Id }),
    response: null,
    errors: ["not_found"],
  }),
};
