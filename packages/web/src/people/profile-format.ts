/**
 * How a profile reads (issue 13): a status that has ended is none (the server's sweep may
 * not have run yet, and members learn of others' changes when their user list refreshes),
 * when a status ends, and the time where the user is.
 */
import type { User } from "@parley/protocol";

/** The user's status as shown, or undefined when they have none or it has ended by `now`. */
export function activeStatus(
  u: Pick<User, "statusText" | "statusEmoji" | "statusExpiresAt">,
  now: number,
): { emoji: string | undefined; text: string | undefined; until: number | undefined } | undefined {
  if (!u.statusText && !u.statusEmoji) return undefined;
  if (u.statusExpiresAt != null && u.statusExpiresAt <= now) return undefined;
  return { emoji: u.statusEmoji ?? undefined, text: u.statusText ?? undefined, until: u.statusExpiresAt ?? undefined };
}

/** "until 15:30" the same day, "until tomorrow 09:00", else "until Mon, 24 Dec" (in the reader's time zone). */
export function untilLabel(until: number, now: number, locale?: string, timeZone?: string): string {
  const day = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
  const clock = new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit" }).format(until);
  if (day.format(until) === day.format(now)) return `until ${clock}`;
  if (day.format(until) === day.format(now + 86_400_000)) return `until tomorrow ${clock}`;
  return `until ${new Intl.DateTimeFormat(locale, { timeZone, weekday: "short", day: "numeric", month: "short" }).format(until)}`;
}

/** The time in `timeZone` at `now` ("14:05"), or undefined when the zone is unknown to this browser. */
export function localTime(timeZone: string, now: number, locale?: string): string | undefined {
  try {
    return new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit" }).format(now);
  } catch {
    return undefined;
  }
}
