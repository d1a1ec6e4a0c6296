/** Channel labels as stored (a JSON array in channels.labels, migration 0024). */

/** The labels of a channel row (none when the column is empty or unreadable). */
export function parseLabels(raw: string | null | undefined): string[] {
  if (!raw) return [];
  try {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}
