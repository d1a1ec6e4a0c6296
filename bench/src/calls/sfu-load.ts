/**
 * SFU cost of group calls (issue 14): Janus's CPU per participant, and the largest group call
 * this box carries with fake media. For each call size N, N werift peers (in --procs child
 * processes, sfu-peers.ts) publish fake media to one Janus room through the server's SFU
 * adapter (createJanusSfu: the same janode calls Parley makes) and each subscribes to the N-1
 * others, so Janus forwards N x (N-1) streams. Over a --window of seconds the bench reads the
 * janus process's CPU from /proc/<pid>/stat (all its threads), the packets the subscribers
 * received against the packets the publishers sent, the machine's busy fraction and the
 * adapter's parley_sfu_ping_seconds. It stops at the first size where less than 90% of the
 * packets arrive (the box no longer carries the call) or at --max.
 *
 * Fake media per publisher: an Opus-sized audio packet (160 B) every 20 ms, and video of
 * --video-packets packets of 1,000 B per frame at 15 fps (default 2: ~240 kbit/s, a 320x240
 * stream). Janus cannot read the payloads (rooms require end-to-end encryption: what it
 * forwards is SFrame ciphertext to it).
 *
 *   node bench/src/calls/sfu-load.ts [--sizes 2,4,6,8,10,12,16,20] [--window 10] [--procs 3] [--video-packets 2] [--min-delivered 0.9]
 */
import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";
import { createLogger } from "../../../packages/server/src/platform/log.ts";
import { createMetrics } from "../../../packages/server/src/platform/metrics.ts";
import { createJanusSfu } from "../../../packages/server/src/platform/sfu/janus.ts";
import { SfuError } from "../../../packages/server/src/platform/sfu/types.ts";
import { startTestJanus } from "@parley/server/testing/janus";
import { CLOCK_TICKS, machineBusy, machineTicks, processCpuSeconds } from "./stats.ts";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const SIZES = arg("sizes", "2,4,6,8,10,12,16,20").split(",").map(Number);
const WINDOW_S = Number(arg("window", "10"));
const PROCS = Number(arg("procs", "3"));
const VIDEO_PACKETS = Number(arg("video-packets", "2"));
/** Stop at the first size delivering less than this fraction (0: measure every size, e.g. on a box other work saturates). */
const MIN_DELIVERED = Number(arg("min-delivered", "0.9"));
const FPS = 15;
const MEDIA = { audioBytes: 160, videoBytes: 1000, videoPacketsPerFrame: VIDEO_PACKETS, fps: FPS };
const PACKETS_PER_STREAM_S = 50 + VIDEO_PACKETS * FPS;

interface PeerProc {
  child: ChildProcess;
  ask(c: Record<string, unknown>): Promise<Record<string, unknown>>;
}

function startPeerProc(): PeerProc {
  const child = fork(new URL("./sfu-peers.ts", import.meta.url), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  let ids = 0;
  child.on("message", (m: { id: number; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error) w?.reject(new Error(m.error));
    else w?.resolve(m as Record<string, unknown>);
  });
  return {
    child,
    ask: (c) =>
      new Promise((resolve, reject) => {
        const id = ++ids;
        waiting.set(id, { resolve, reject });
        child.send({ ...c, id });
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  // Each participant holds a publisher and a subscriber session: two RTP ports each.
  const janus = await startTestJanus({ rtpPorts: 2 * Math.max(...SIZES) + 10 });
  const { registry } = createMetrics();
  const sfu = await createJanusSfu({
    url: janus.url,
    apiSecret: janus.apiSecret,
    adminKey: janus.adminKey,
    roomSecret: (callId: string) => `bench-${callId}`,
    log: createLogger("silent"),
    registry,
  });
  const procs = Array.from({ length: PROCS }, startPeerProc);
  const ping = async () => Number(/^parley_sfu_ping_seconds (\S+)$/m.exec(await registry.metrics())?.[1]) * 1000;
  const received = async () => (await Promise.all(procs.map((p) => p.ask({ op: "received" })))).reduce((n, r) => n + Number(r.packets), 0);
  console.log(
    `SFU load: janus pid ${janus.pid()}, ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, node ${process.version}, load ${os.loadavg()[0]!.toFixed(2)} at start; ` +
      `fake media per publisher: 160 B audio / 20 ms + ${VIDEO_PACKETS} x 1,000 B video at ${FPS} fps (${PACKETS_PER_STREAM_S} packets/s); ${PROCS} werift processes; ${WINDOW_S} s windows`,
  );
  console.log(
    "| participants | streams forwarded | janus CPU % of a core | per participant % | per stream % | delivered % | machine busy % | SFU ping ms | load avg |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  const rows: Record<string, number>[] = [];
  try {
    for (const n of SIZES) {
      const callId = `bench-${n}-${Date.now()}`;
      const who = Array.from({ length: n }, (_, i) => ({ id: `p${i}`, proc: procs[i % PROCS]! }));
      // Everyone publishes (offer -> Janus's answer -> connected).
      await Promise.all(
        who.map(async (p) => {
          const offer = await p.proc.ask({ op: "publish", media: MEDIA });
          const { answer } = await sfu.publish(callId, p.id, { type: "offer", sdp: String(offer.sdp) });
          await p.proc.ask({ op: "answered", peer: offer.peer, sdp: answer.sdp });
        }),
      );
      // Then subscribes to the others (a feed is subscribable once Janus has its media).
      await Promise.all(
        who.map(async (p) => {
          const feeds = who.filter((q) => q !== p).map((q) => q.id);
          for (let attempt = 0; ; attempt++) {
            try {
              const { offer } = await sfu.subscribe(callId, p.id, feeds);
              const answer = await p.proc.ask({ op: "subscribe", sdp: offer.sdp });
              await sfu.start(callId, p.id, { type: "answer", sdp: String(answer.sdp) });
              await p.proc.ask({ op: "connected", peer: answer.peer });
              return;
            } catch (err) {
              if (!(err instanceof SfuError && err.reason === "not_published") || attempt > 50) throw err;
              await sleep(200);
            }
          }
        }),
      );
      await sleep(2000); // warm-up: every subscription flowing
      const cpu0 = processCpuSeconds(janus.pid());
      const m0 = machineTicks();
      const r0 = await received();
      const t0 = performance.now();
      await sleep(WINDOW_S * 1000);
      const pingMs = await ping();
      const seconds = (performance.now() - t0) / 1000;
      const cpu = (processCpuSeconds(janus.pid()) - cpu0) / seconds;
      const busy = machineBusy(m0, machineTicks());
      const got = (await received()) - r0;
      const streams = n * (n - 1);
      const delivered = got / (streams * PACKETS_PER_STREAM_S * seconds);
      const row = {
        n,
        streams,
        cpu: cpu * 100,
        perParticipant: (cpu * 100) / n,
        perStream: (cpu * 100) / streams,
        delivered: delivered * 100,
        busy: busy * 100,
        pingMs,
      };
      rows.push(row);
      console.log(
        `| ${n} | ${streams} | ${row.cpu.toFixed(1)} | ${row.perParticipant.toFixed(2)} | ${row.perStream.toFixed(3)} | ${row.delivered.toFixed(1)} | ${row.busy.toFixed(0)} | ${pingMs.toFixed(1)} | ${os.loadavg()[0]!.toFixed(2)} |`,
      );
      for (const p of who) await sfu.leave(callId, p.id);
      await sfu.destroyRoom(callId);
      await Promise.all(procs.map((p) => p.ask({ op: "close" })));
      await sleep(1000);
      if (delivered < MIN_DELIVERED) {
        console.log(`stopped: at ${n} participants ${(delivered * 100).toFixed(1)}% of the packets arrived (< ${MIN_DELIVERED * 100}%)`);
        break;
      }
    }
  } finally {
    for (const p of procs) p.child.kill();
    await sfu.close();
    await janus.stop();
  }
  console.log(`(CPU from /proc/<pid>/stat at ${CLOCK_TICKS} ticks/s; figures as JSON:) ${JSON.stringify(rows)}`);
}

await main();
