/**
 * Times for `/remind`, read on the device in the user's time zone (their profile's, else the
 * device's): `in 20 minutes`, `in 2 hours`, `in 3 days`, `in a week`, `tomorrow [at 9am]`,
 * `at 15:30` (today, or tomorrow once passed), `on 2026-12-24 [at 9:00]`, `next week` (Monday
 * 9:00). Wall-clock times are turned into instants through `Intl` (daylight-saving changes
 * included), so "tomorrow at 9am" is 9:00 where the user lives, not where the server is.
 */
import { ParleyError } from "./errors.ts";

/** The hour a day-only time ("tomorrow", "on 2026-12-24", "next week") means. */
export const DEFAULT_REMINDER_HOUR = 9;

/** What `/remind` was told: when, and the rest of the line (the text, maybe empty). */
export interface ParsedReminder {
  dueAt: number;
  text: string;
}

/** Usage shown with every mistake. */
export const REMIND_USAGE = "write /remind me in 20 minutes|in 2 hours|in 3 days|tomorrow [at 9am]|at 15:30|on 2026-12-24 [at 9:00] <text>";

function invalid(message: string): ParleyError {
  return new ParleyError({ code: "bad_request", message: `${message}: ${REMIND_USAGE}` });
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function wallAt(epoch: number, timeZone: string): Wall & { second: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(epoch).map((x) => [x.type, x.value]));
  return { year: +p.year!, month: +p.month!, day: +p.day!, hour: +p.hour! % 24, minute: +p.minute!, second: +p.second! };
}

/** The instant a wall-clock time in `timeZone` names (in a gap skipped by daylight saving: the same wall time shifted forward). */
export function zonedInstant(w: Wall, timeZone: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  const offsetAt = (t: number) => {
    const x = wallAt(t, timeZone);
    return Date.UTC(x.year, x.month - 1, x.day, x.hour, x.minute, x.second) - Math.floor(t / 1000) * 1000;
  };
  const first = asUtc - offsetAt(asUtc);
  const second = asUtc - offsetAt(first);
  return second;
}

/** The calendar day `days` after a wall date (month and year carry over). */
function addDays(w: Wall, days: number): Wall {
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day + days));
  return { ...w, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const UNITS: Record<string, number> = {
  minute: 60_000,
  min: 60_000,
  m: 60_000,
  hour: 3_600_000,
  hr: 3_600_000,
  h: 3_600_000,
  day: 86_400_000,
  d: 86_400_000,
  week: 7 * 86_400_000,
  wk: 7 * 86_400_000,
  w: 7 * 86_400_000,
};

/** `9`, `9am`, `9 pm`, `9:30`, `15:30`, `noon`, `midnight`; undefined when it is not a time. */
function parseClock(s: string): { hour: number; minute: number } | undefined {
  const t = s.trim().toLowerCase();
  if (t === "noon") return { hour: 12, minute: 0 };
  if (t === "midnight") return { hour: 0, minute: 0 };
  const m = /^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$/.exec(t);
  if (!m) return undefined;
  let hour = Number(m[1]);
  const minute = m[2] ? Number(m[2]) : 0;
  const half = m[3]?.[0];
  if (minute > 59) return undefined;
  if (half) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (half === "p" ? 12 : 0);
  } else if (hour > 23) return undefined;
  return { hour, minute };
}

// A clock after "at": the number, optional minutes, optional am/pm (with or without a space).
const AT = /^at\s+(noon|midnight|\d{1,2}(?::\d{2})?(?:\s*(?:am|pm|a\.m\.|p\.m\.))?)(?=\s|$)/i;

/** Read an optional "at <time>" at the start of `rest`. */
function takeAt(rest: string): { clock?: { hour: number; minute: number }; rest: string } {
  const m = AT.exec(rest);
  if (!m) return { rest };
  const clock = parseClock(m[1]!);
  if (!clock) throw invalid(`"${m[1]}" is not a time of day`);
  return { clock, rest: rest.slice(m[0].length).trim() };
}

/**
 * Read the arguments of `/remind` (after the command name): an optional `me`, a time, the text.
 * `now` and `timeZone` are the device's clock and the user's zone. Throws a `bad_request`
 * ParleyError saying what is wrong (with the usage) for a missing or unreadable time, a time
 * in the past, or (unless `allowEmptyText`) no text.
 */
export function parseReminder(args: string, opts: { now: number; timeZone: string; allowEmptyText?: boolean }): ParsedReminder {
  let rest = args.trim().replace(/^me(\s+|$)/i, "");
  const { now, timeZone } = opts;
  const today: Wall = { ...wallAt(now, timeZone) };
  let dueAt: number;
  let m: RegExpExecArray | null;
  if ((m = /^in\s+(\d+|an?|one)\s*([a-z]+)(?=\s|$)/i.exec(rest))) {
    const n = /^\d+$/.test(m[1]!) ? Number(m[1]) : 1;
    const unit = m[2]!.toLowerCase().replace(/s$/, "");
    const ms = UNITS[unit];
    if (!ms) throw invalid(`"${m[2]}" is not a unit (minutes, hours, days or weeks)`);
    if (n < 1) throw invalid("the time must be at least 1 minute ahead");
    dueAt = now + n * ms;
    rest = rest.slice(m[0].length).trim();
  } else if ((m = /^(tomorrow|today|next\s+week)(?=\s|$)/i.exec(rest))) {
    const word = m[1]!.toLowerCase();
    rest = rest.slice(m[0].length).trim();
    const at = takeAt(rest);
    rest = at.rest;
    let day = today;
    if (word === "tomorrow") day = addDays(today, 1);
    else if (word !== "today") {
      // Next week: its Monday (ISO weeks start on Monday).
      const weekday = new Date(Date.UTC(today.year, today.month - 1, today.day)).getUTCDay();
      day = addDays(today, (8 - weekday) % 7 || 7);
    }
    const clock = at.clock ?? { hour: DEFAULT_REMINDER_HOUR, minute: 0 };
    dueAt = zonedInstant({ ...day, ...clock }, timeZone);
  } else if ((m = /^on\s+(\d{4})-(\d{2})-(\d{2})(?=\s|$)/i.exec(rest))) {
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const check = new Date(Date.UTC(year, month - 1, day));
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) throw invalid(`${m[1]}-${m[2]}-${m[3]} is not a date`);
    rest = rest.slice(m[0].length).trim();
    const at = takeAt(rest);
    rest = at.rest;
    dueAt = zonedInstant({ year, month, day, ...(at.clock ?? { hour: DEFAULT_REMINDER_HOUR, minute: 0 }) }, timeZone);
  } else if (AT.test(rest)) {
    const at = takeAt(rest);
    rest = at.rest;
    dueAt = zonedInstant({ ...today, ...at.clock! }, timeZone);
    // "at 9:00" once 9:00 passed today means tomorrow.
    if (dueAt <= now) dueAt = zonedInstant({ ...addDays(today, 1), ...at.clock! }, timeZone);
  } else {
    throw invalid(rest ? `cannot tell when "${rest.split(/\s+/).slice(0, 3).join(" ")}" is` : "say when");
  }
  if (dueAt <= now) throw invalid("that time has passed");
  const text = rest.replace(/^(to|about|that)\s+/i, "").trim();
  if (!text && !opts.allowEmptyText) throw invalid("say what to remind you of");
  return { dueAt, text };
}
