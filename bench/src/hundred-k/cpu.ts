/**
 * CPU time of processes this bench did not fork with IPC (NATS, PostgreSQL's backends) read from
 * /proc, and the whole machine's busy time (everything on the box, other users included).
 */
import fs from "node:fs";
import os from "node:os";
import { execFileSync } from "node:child_process";

let ticksPerSec: number | undefined;

/** CPU ms (user+system) a process has used, or undefined when it is gone. */
function procCpuMs(pid: number): number | undefined {
  ticksPerSec ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces), from field 3 on: utime is field 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) / ticksPerSec) * 1000;
  } catch {
    return undefined;
  }
}

/**
 * CPU ms of a changing set of processes (PostgreSQL's backends come and go with the pools):
 * `sample()` reads every current PID (call it often), `lap()` returns the CPU they used since the
 * previous lap. A process first seen after a lap started counts from 0 (it is new); what one
 * used between its last sample and its exit is missed.
 */
export function cpuTracker(pids: () => number[]): { sample(): void; lap(): number } {
  let atLap = new Map<number, number>();
  let latest = new Map<number, number>();
  const sample = () => {
    for (const pid of pids()) {
      const ms = procCpuMs(pid);
      if (ms !== undefined) latest.set(pid, ms);
    }
  };
  return {
    sample,
    lap() {
      sample();
      let ms = 0;
      for (const [pid, v] of latest) ms += v - (atLap.get(pid) ?? 0);
      atLap = latest;
      latest = new Map(latest);
      return ms;
    },
  };
}

/** The machine's busy and total CPU ms over all cores since boot. */
export function machineCpuMs(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
    total += t;
    busy += t - c.times.idle;
  }
  return { busy, total };
}
