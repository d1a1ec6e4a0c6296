/** SQL of the notifications module: settings, channel overrides, push subscriptions. */
import {
  DEFAULT_NOTIFY_SETTINGS,
  type MentionEmailSettings,
  type ChannelNotifyLevel,
  type DndWindow,
  type NotificationSettings,
  type NotifyLevel,
} from "@parley/protocol";
import type { Tx } from "../../platform/db/index.ts";
import type { Deps } from "../../context.ts";
import type { PushSubscriptionsTable } from "../../platform/db/notification-tables.ts";

export type Q = Tx | Deps["db"];

/** A user's stored settings, with the defaults for a user who never changed them. */
export interface UserNotifySettings {
  level: NotifyLevel;
  timeZone: string;
  dndSchedule: DndWindow[];
  snoozeUntil: number | null;
  email: MentionEmailSettings;
  keywordsSealed: string | null;
}

/** Mention email is off until the user turns it on; 15 minutes offline when on. */
const DEFAULT_EMAIL: MentionEmailSettings = { enabled: false, delayMinutes: 15 };

const DEFAULT_SETTINGS: UserNotifySettings = { ...DEFAULT_NOTIFY_SETTINGS, dndSchedule: [], email: DEFAULT_EMAIL, keywordsSealed: null };

/** Settings of these users (defaults for those without a row). */
export async function settingsOf(q: Q, orgId: string, userIds: readonly string[]): Promise<Map<string, UserNotifySettings>> {
  const out = new Map<string, UserNotifySettings>(userIds.map((id) => [id, DEFAULT_SETTINGS]));
  if (!userIds.length) return out;
  const rows = await q.selectFrom("notification_settings").selectAll().where("org_id", "=", orgId).where("user_id", "in", userIds).execute();
  for (const r of rows)
    out.set(r.user_id, {
      level: r.level,
      timeZone: r.time_zone,
      dndSchedule: JSON.parse(r.dnd_schedule) as DndWindow[],
      snoozeUntil: r.snooze_until === null ? null : Number(r.snooze_until),
      email: { enabled: Number(r.email_enabled) === 1, delayMinutes: Number(r.email_delay_minutes) },
      keywordsSealed: r.keywords_sealed,
    });
  return out;
}

export async function putSettings(tx: Tx, orgId: string, userId: string, s: UserNotifySettings, now: number): Promise<void> {
  const row = {
    level: s.level,
    time_zone: s.timeZone,
    dnd_schedule: JSON.stringify(s.dndSchedule),
    snooze_until: s.snoozeUntil,
    email_enabled: s.email.enabled ? 1 : 0,
    email_delay_minutes: s.email.delayMinutes,
    keywords_sealed: s.keywordsSealed,
    updated_at: now,
  };
  await tx
    .insertInto("notification_settings")
    .values({ user_id: userId, org_id: orgId, email_sent_at: null, ...row })
    .onConflict((oc) => oc.column("user_id").doUpdateSet(row))
    .execute();
}

/** Channel overrides of these users in one channel. */
export async function channelLevels(q: Q, channelId: string, userIds: readonly string[]): Promise<Map<string, Exclude<ChannelNotifyLevel, "default">>> {
  if (!userIds.length) return new Map();
  const rows = await q
    .selectFrom("channel_notification_settings")
    .select(["user_id", "level"])
    .where("channel_id", "=", channelId)
    .where("user_id", "in", userIds)
    .execute();
  return new Map(rows.map((r) => [r.user_id, r.level]));
}

export async function setChannelLevel(tx: Tx, orgId: string, userId: string, channelId: string, level: ChannelNotifyLevel, now: number): Promise<void> {
  if (level === "default") {
    await tx.deleteFrom("channel_notification_settings").where("user_id", "=", userId).where("channel_id", "=", channelId).execute();
    return;
  }
  await tx
    .insertInto("channel_notification_settings")
    .values({ user_id: userId, channel_id: channelId, org_id: orgId, level, updated_at: now })
    .onConflict((oc) => oc.columns(["user_id", "channel_id"]).doUpdateSet({ level, updated_at: now }))
    .execute();
}

/** The settings as the API shows them. */
export async function settingsView(q: Q, orgId: string, userId: string): Promise<NotificationSettings> {
  const s = (await settingsOf(q, orgId, [userId])).get(userId)!;
  const channels = await q
    .selectFrom("channel_notification_settings")
    .select(["channel_id", "level"])
    .where("org_id", "=", orgId)
    .where("user_id", "=", userId)
    .orderBy("channel_id")
    .execute();
  return { ...s, channels: channels.map((c) => ({ channelId: c.channel_id, level: c.level })) };
}

/** Subscriptions of the members of a channel on devices not revoked, for the fan-out of a push (protocol's shouldNotify leaves out the sender). */
export async function memberSubscriptions(q: Q, channelId: string): Promise<PushSubscriptionsTable[]> {
  return q
    .selectFrom("push_subscriptions")
    .innerJoin("channel_members", "channel_members.user_id", "push_subscriptions.user_id")
    .innerJoin("devices", "devices.id", "push_subscriptions.device_id")
    .selectAll("push_subscriptions")
    .where("channel_members.channel_id", "=", channelId)
    .where("devices.revoked_at", "is", null)
    .execute();
}
