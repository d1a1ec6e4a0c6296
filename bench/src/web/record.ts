/** Writes bench/results/web.json and the "Web app" table row of bench/RESULTS.md (under a file lock held by the caller's shell). */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { machine } from "../results.ts";

const BENCH = fileURLToPath(new URL("../../", import.meta.url));

export interface WebResults {
  date: string;
  loadAverageAtStart: number[];
  chromium: string;
  initialJs: { files: Array<{ path: string; bytes: number; gzip: number }>; rawBytes: number; gzipBytes: number; targetGzipBytes: number };
  tti: { signInFormMs: number; signInToComposerMs: number; signedInReloadToComposerMs: number[] };
  sendToRender: {
    messages: number;
    missing: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /** The same in a device-only channel (no archive copies), same run. */
    withoutArchiveCopies?: { messages: number; p50Ms: number; p99Ms: number };
  };
  scroll: Record<string, unknown>;
}

const MARK = "<!-- web rows end -->";

export function recordWeb(r: WebResults): string {
  const m = machine();
  const file = path.join(BENCH, "results/web.json");
  fs.writeFileSync(file, `${JSON.stringify({ machine: m, ...r }, null, 2)}\n`);
  const s = r.scroll as { messages: number; over50?: number; frames?: number; loafOver50?: number; renderNewestMs?: number; error?: string };
  const reloads = [...r.tti.signedInReloadToComposerMs].sort((a, b) => a - b);
  const row = `| ${r.date.slice(0, 10)} | ${m.cores} cores ${m.os} | ${m.node} | ${r.chromium} | ${(r.initialJs.gzipBytes / 1024).toFixed(1)} KiB (${r.initialJs.files.length} files) | ${r.tti.signInFormMs} / ${r.tti.signInToComposerMs} / ${reloads[Math.floor(reloads.length / 2)]} | ${r.sendToRender.p50Ms} / ${r.sendToRender.p99Ms} (n=${r.sendToRender.messages})${r.sendToRender.withoutArchiveCopies ? `; without archive copies ${r.sendToRender.withoutArchiveCopies.p50Ms} / ${r.sendToRender.withoutArchiveCopies.p99Ms} (n=${r.sendToRender.withoutArchiveCopies.messages})` : ""} | ${s.error ? `failed: ${s.error.slice(0, 80)}` : `${s.messages}: ${s.over50} of ${s.frames} rAF frames > 50 ms; ${s.loafOver50} LoAF > 50 ms; newest rendered after ${s.renderNewestMs} ms`} | load avg ${r.loadAverageAtStart[0]} at start |`;
  const results = path.join(BENCH, "RESULTS.md");
  const text = fs.readFileSync(results, "utf8");
  if (text.includes(MARK)) fs.writeFileSync(results, text.replace(MARK, `${row}\n${MARK}`));
  else fs.appendFileSync(results, `\n${row}\n${MARK}\n`);
  return file;
}
