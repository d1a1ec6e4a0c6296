/**
 * Small helpers of the call benchmarks: percentiles of a sample, and a process's CPU time
 * read from /proc/<pid>/stat (utime + stime of all its threads, in clock ticks).
 */
import fs from "node:fs";

/** The value at quantile q (0..1) of `values`, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
export const CLOCK_TICKS = 100;

/** utime + stime (fields 14 and 15) of a /proc/<pid>/stat line, in ticks. The command (field 2) may hold spaces and parentheses. */
export function cpuTicksOf(statLine: string): number {
  const rest = statLine.slice(statLine.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`not a /proc stat line: ${statLine.slice(0, 80)}`);
  return utime + stime;
}

/** CPU seconds a process has used so far (all threads). */
export function processCpuSeconds(pid: number): number {
  return cpuTicksOf(fs.readFileSync(`/proc/${pid}/stat`, "utf8")) / CLOCK_TICKS;
}

/** The machine's busy fraction between two /proc/stat readings (all cores: 1 = every core busy). */
export function machineBusy(a: number[], b: number[]): number {
  const d = b.map((v, i) => v - a[i]!);
  const total = d.reduce((x, y) => x + y, 0);
  const idle = d[3]! + (d[4] ?? 0);
  return total > 0 ? (total - idle) / total : 0;
}

/** The aggregate `cpu` line of /proc/stat as numbers (user nice system idle iowait ...). */
export function machineTicks(): number[] {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  return line.trim().split(/\s+/).slice(1).map(Number);
}
