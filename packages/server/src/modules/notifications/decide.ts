/**
 * Who is notified of a message: the rule that combines a user's default level, their channel
 * override and do-not-disturb. Pure, so the fan-out job and its tests share it.
 */
import type { ChannelNotifyLevel } from "@parley/protocol";
import { isQuiet } from "./quiet-hours.ts";
import type { UserNotifySettings } from "./store.ts";

export interface MessageFacts {
  senderId: string;
  mentions: readonly string[];
  /** A DM or group DM: every message counts as a mention. */
  direct: boolean;
}

/** Whether `userId` should get a push for this message at `now`. */
export function shouldNotify(
  userId: string,
  msg: MessageFacts,
  settings: UserNotifySettings,
  override: Exclude<ChannelNotifyLevel, "default"> | undefined,
  now: number,
): boolean {
  if (userId === msg.senderId) return false;
  const level = override ?? settings.level;
  if (level === "muted" || level === "nothing") return false;
  if (level === "mentions" && !msg.direct && !msg.mentions.includes(userId)) return false;
  return !isQuiet(settings, now);
}
