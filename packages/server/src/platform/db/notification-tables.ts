/** Notification tables (migration 0035, issue 13): settings, per-channel overrides, Web Push subscriptions. */

/** A user's notification settings; a user without a row has the defaults (all, UTC, no schedule). */
export interface NotificationSettingsTable {
  user_id: string;
  org_id: string;
  level: "all" | "mentions" | "nothing";
  /** IANA time zone the do-not-disturb schedule is read in. */
  time_zone: string;
  /** JSON array of { day, start, end } windows (minutes after local midnight). */
  dnd_schedule: string;
  snooze_until: number | null;
  updated_at: number;
  /** Mention email on (1) or off (0) (migration 0039). */
  email_enabled: number;
  /** Minutes offline after a mention before the email. */
  email_delay_minutes: number;
  /** When the last mention email was queued (ms): at most one per window. */
  email_sent_at: number | null;
  /** The user's keywords, sealed by their device to their key locker (opaque to the server). */
  keywords_sealed: string | null;
}

/** A user's override for one channel. */
export interface ChannelNotificationSettingsTable {
  user_id: string;
  channel_id: string;
  org_id: string;
  level: "all" | "mentions" | "nothing" | "muted";
  updated_at: number;
}

/** One device's Web Push subscription (the browser's PushSubscription). */
export interface PushSubscriptionsTable {
  id: string;
  org_id: string;
  user_id: string;
  device_id: string;
  /** The push service URL (a capability: whoever knows it and the VAPID key may push to the device). */
  endpoint: string;
  /** The subscription's P-256 public key and auth secret (base64url), for RFC 8291 payload encryption. */
  p256dh: string;
  auth: string;
  created_at: number;
  /** No push to this subscription before this time (ms): the per-subscription rate limit. */
  next_push_at: number;
}
