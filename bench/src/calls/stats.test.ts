/**
 * The call benchmarks' helpers (not a benchmark: nothing timed is asserted): percentiles, and
 * CPU time read from /proc for a real child process that spins, against one that sleeps.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpuTicksOf, machineBusy, machineTicks, percentile, processCpuSeconds } from "./stats.ts";

test("percentiles by nearest rank", () => {
  const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
  assert.equal(percentile(v, 0.5), 50);
  assert.equal(percentile(v, 0.99), 99);
  assert.equal(percentile(v, 1), 100);
  assert.equal(percentile([7], 0.99), 7);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});

test("a /proc stat line's utime + stime, with a command holding spaces and parentheses", () => {
  const line = "4242 (janus (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 37 0 0 20 0 12 0 100 0 0";
  assert.equal(cpuTicksOf(line), 287);
  assert.throws(() => cpuTicksOf("garbage"), /not a \/proc stat line/);
});

test("a spinning child uses CPU time, a sleeping one almost none", { timeout: 20_000 }, async () => {
  const spin = spawn(process.execPath, ["-e", "const end = Date.now() + 10_000; while (Date.now() < end);"]);
  const idle = spawn(process.execPath, ["-e", "setTimeout(() => {}, 10_000)"]);
  try {
    const before = machineTicks();
    // However loaded the machine, the spinning child gets 0.6 s of CPU within 8 s (a sleeping Node uses ~0.1 s to start).
    let spun = 0;
    for (let i = 0; i < 80 && spun < 0.6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      spun = processCpuSeconds(spin.pid!);
    }
    const slept = processCpuSeconds(idle.pid!);
    assert.ok(spun >= 0.6, `spinning child: ${spun} s`);
    assert.ok(slept < spun / 2, `sleeping child: ${slept} s against ${spun} s`);
    const busy = machineBusy(before, machineTicks());
    assert.ok(busy > 0 && busy <= 1, `machine busy ${busy}`);
  } finally {
    spin.kill();
    idle.kill();
  }
});
