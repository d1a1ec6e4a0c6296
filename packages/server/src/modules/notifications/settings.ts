/**
 * Notification settings commands: a user's default level, time zone, do-not-disturb schedule
 * and snooze, and their per-channel overrides. Only the user changes their own; a channel
 * override needs the channel to be visible to them (another org's channel is not found).
 * Keywords are stored only sealed by the user's device to their key locker: the device matches them.
 */
import type { ChannelNotifyLevel, NotificationSettings, RouteBody } from "@parley/protocol";
import type { DeviceActor, Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { loadChannel } from "../channels/access.ts";
import { putSettings, setChannelLevel, settingsOf, settingsView } from "./store.ts";

type SettingsPatch = RouteBody<(typeof import("@parley/protocol").routes)["updateNotificationSettings"]>;

export function getNotificationSettings(deps: Deps, p: DeviceActor): Promise<NotificationSettings> {
  return settingsView(deps.db, p.orgId, p.userId);
}

export function updateNotificationSettings(deps: Deps, p: DeviceActor, patch: SettingsPatch): Promise<NotificationSettings> {
  return runCommand(deps, p, "notifications.update", async (tx) => {
    const current = (await settingsOf(tx, p.orgId, [p.userId])).get(p.userId)!;
    await putSettings(
      tx,
      p.orgId,
      p.userId,
      {
        level: patch.level ?? current.level,
        timeZone: patch.timeZone ?? current.timeZone,
        dndSchedule: patch.dndSchedule ?? current.dndSchedule,
        snoozeUntil: patch.snoozeUntil === undefined ? current.snoozeUntil : patch.snoozeUntil,
        email: { ...current.email, ...patch.email },
        keywordsSealed: patch.keywordsSealed === undefined ? current.keywordsSealed : patch.keywordsSealed,
      },
      deps.now(),
    );
    return settingsView(tx, p.orgId, p.userId);
  });
}

/** A channel's override for the caller; they must be a member (an override for a channel they cannot see is refused). */
export function setChannelNotifications(deps: Deps, p: DeviceActor, channelId: string, level: ChannelNotifyLevel): Promise<NotificationSettings> {
  return runCommand(deps, p, "notifications.channel", async (tx) => {
    const ch = await loadChannel(tx, p, channelId);
    if (!ch.membership)
      throw new AppError(ch.row.kind === "public" ? "forbidden" : "not_found", ch.row.kind === "public" ? "join the channel first" : "channel not found");
    await setChannelLevel(tx, p.orgId, p.userId, channelId, level, deps.now());
    return settingsView(tx, p.orgId, p.userId);
  });
}
