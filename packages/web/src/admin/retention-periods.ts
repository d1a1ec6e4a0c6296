/**
 * The words and checks of the Compliance tab: a retention period as a form edits it (a number
 * of days, or forever), checked with the protocol's own rule before the server is asked; how a
 * period and a retention run read; and a legal hold's matter, checked the same way.
 */
import { complianceRoutes, RetentionDays, type RetentionRun } from "@parley/protocol";

/** A period as the form holds it: kept forever, or the days typed. */
export interface PeriodInput {
  forever: boolean;
  days: string;
}

/** The form's value of a stored period (null: forever). */
export function periodInput(days: number | null): PeriodInput {
  return days === null ? { forever: true, days: "" } : { forever: false, days: String(days) };
}

/** The period to send (null: forever), or why it cannot be sent. */
export function parsePeriod(label: string, p: PeriodInput): { days: number | null } | { error: string } {
  if (p.forever) return { days: null };
  const text = p.days.trim();
  const days = Number(text);
  if (text === "" || !RetentionDays.safeParse(days).success) return { error: `${label}: a whole number of days from 1 to 36,500, or keep forever.` };
  return { days };
}

/** Parse several labelled periods at once: all the values, or the first error. */
export function parsePeriods<K extends string>(
  fields: Record<K, [label: string, input: PeriodInput]>,
): { values: Record<K, number | null> } | { error: string } {
  const values = {} as Record<K, number | null>;
  for (const key of Object.keys(fields) as K[]) {
    const [label, input] = fields[key];
    const r = parsePeriod(label, input);
    if ("error" in r) return r;
    values[key] = r.days;
  }
  return { values };
}

/** "Forever", "1 day", "30 days". */
export function periodText(days: number | null): string {
  return days === null ? "Forever" : days === 1 ? "1 day" : `${days.toLocaleString("en")} days`;
}

/** A run is "running" this long after it started without finishing; later it was interrupted (the next run carries on). */
const RUNNING_MS = 15 * 60_000;

/** Where the latest run is. */
export function runState(run: RetentionRun, now: number): "finished" | "running" | "interrupted" {
  if (run.finishedAt !== null) return "finished";
  return now - run.startedAt < RUNNING_MS ? "running" : "interrupted";
}

/** The matter's rule is the server's (the create-hold body schema). */
const Matter = complianceRoutes.createHold.body!.shape.matter;

/** The matter as sent, or why it cannot be. */
export function parseMatter(input: string): { matter: string } | { error: string } {
  const r = Matter.safeParse(input);
  if (r.success) return { matter: r.data };
  if (!input.trim()) return { error: "Name the matter the hold serves (e.g. SEC inquiry 2026-14)." };
  if (input.trim().length > 120) return { error: "The matter is at most 120 characters." };
  return { error: "The matter may use letters, digits, spaces and . , : # ( ) / _ - only." };
}
