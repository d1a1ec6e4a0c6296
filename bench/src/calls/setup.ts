/**
 * Call setup time (issue 14): from the caller's click (call.start sent) to the first remote
 * video frame decoded, in headless Chromium with fake camera and microphone, p50/p99 over
 * --rounds calls per case, SFrame off and on alternating in the same run (the baseline):
 *
 * - 1:1 through coturn: two pages, relay-only ICE (iceTransportPolicy "relay", the TURN
 *   credentials of GET /calls/ice-servers); Alice starts the call in a DM, Bob's device gets
 *   call.ring and accepts, Alice's offer and Bob's answer (candidates gathered, no trickle) go
 *   through the server's call.signal frames. Times: Alice's first frame of Bob, Bob's of Alice.
 * - Group through Janus: --group pages in a private channel; the caller starts, the others join
 *   at once (auto-answer); each page publishes through call.sfu.publish and, once Janus lists
 *   every feed, subscribes to the others (call.sfu.subscribe / start). Times: the caller's
 *   first remote frame, and the moment every page decodes every other page's video.
 *
 * The signalling sockets are driven from Node (as test/browser/sfu-group-call.test.ts does):
 * no UI, so what is timed is media setup, not rendering or clicks. getUserMedia, the peer
 * connections and the SFrame worker start at the click, as in the app. Also printed: the
 * per-frame cost of SFrame encrypt + decrypt of an Opus frame in Chromium's WebCrypto
 * (BoringSSL), the delay the transform adds to each audio frame.
 *
 *   node bench/src/calls/setup.ts [--rounds 10] [--group 4]
 */
import type http from "node:http";
import os from "node:os";
import type { Browser, Page } from "playwright-core";
import type { ServerFrameOf } from "@parley/protocol";
import { freePort } from "@parley/server/testing/ports";
import { startTestServer, type TestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, makeUser, type TestUser } from "@parley/server/testing/factories";
import { startTestJanus, type TestJanus } from "@parley/server/testing/janus";
import { startTestCoturn, type TestCoturn } from "@parley/server/testing/coturn";
import { callFrame } from "@parley/server/testing/calls";
import { connectUser, type TestSocket } from "../../../packages/server/src/gateway/test-client.ts";
import { launchChromium } from "../../../test/browser/browser-support.ts";
import { serveModules } from "../../../test/browser/call-modules.ts";
import { percentile } from "./stats.ts";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const ROUNDS = Number(arg("rounds", "10"));
const GROUP = Number(arg("group", "4"));

/** Runs in each page once: helpers on window.bench (peer connections, SFrame, first-frame times). */
function installHelpers(): Promise<void> {
  return (async () => {
    type T = typeof import("../../../packages/web/src/calls/sframe-transform.ts");
    const t = (await import("/web/calls/sframe-transform.ts" as string)) as T;
    const mode = t.detectSFrameMode();
    let media: InstanceType<T["SFrameMedia"]> | undefined;
    let worker: Worker | undefined;
    let stream: MediaStream | undefined;
    let config: RTCConfiguration = {};
    const pcs: RTCPeerConnection[] = [];
    const firstDecoded = new Map<string, number>();
    let poll: ReturnType<typeof setInterval> | undefined;
    const gathered = async (pc: RTCPeerConnection) => {
      while (pc.iceGatheringState !== "complete") await new Promise((r) => setTimeout(r, 5));
      return pc.localDescription!.sdp;
    };
    /** Note when each inbound video stream decodes its first frame (polled every 10 ms). */
    const watch = (pc: RTCPeerConnection) => {
      pcs.push(pc);
      poll ??= setInterval(() => {
        for (const p of pcs)
          void p.getStats().then((stats) =>
            stats.forEach((r: Record<string, unknown>) => {
              // (A poll that resolves after reset() belongs to the previous call: not counted.)
              if (!pcs.includes(p)) return;
              if (r.type === "inbound-rtp" && r.kind === "video" && Number(r.framesDecoded ?? 0) > 0 && !firstDecoded.has(String(r.id)))
                firstDecoded.set(String(r.id), Date.now());
            }),
          );
      }, 10);
    };
    const onTrack = (e: RTCTrackEvent) => {
      media?.protectReceiver(e.receiver, e.track.kind as "audio" | "video", e.track.kind === "video" ? "video/VP8" : "audio/opus");
      const el = document.createElement(e.track.kind === "video" ? "video" : "audio");
      el.autoplay = true;
      el.muted = e.track.kind === "video";
      el.srcObject = new MediaStream([e.track]);
      document.body.append(el);
    };
    /** Send the camera and microphone: on new transceivers, or (an answerer) on those the offer made. */
    const addTracks = (pc: RTCPeerConnection, direction: RTCRtpTransceiverDirection, reuse = false) => {
      for (const track of stream!.getTracks()) {
        // addTrack takes the transceiver of the same kind that the remote offer made.
        const sender = reuse ? pc.addTrack(track, stream!) : undefined;
        const tr = pc.getTransceivers().find((x) => sender && x.sender === sender) ?? pc.addTransceiver(track, { direction, streams: [stream!] });
        if (track.kind === "video") tr.setCodecPreferences(t.encryptableVideoCodecs());
        media?.protectSender(tr.sender, track.kind as "audio" | "video", track.kind === "video" ? "video/VP8" : "audio/opus");
      }
    };
    const bench = {
      /** The click: the SFrame worker (when on) and the camera and microphone. */
      async start(o: { sframe: boolean; leaf: number; iceServers: RTCIceServer[]; relay: boolean }) {
        config = t.peerConnectionConfig(o.sframe ? mode : "script-transform", {
          iceServers: o.iceServers,
          ...(o.relay ? { iceTransportPolicy: "relay" as const } : {}),
        });
        if (o.sframe) {
          worker = t.startSFrameWorker();
          media = new t.SFrameMedia(worker, mode);
          media.setKeys({ suite: 4, epoch: 5n, baseKey: new Uint8Array(16).fill(7), ownLeafIndex: o.leaf });
        }
        stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
      },
      /** 1:1: an offer (sendrecv audio + video), candidates gathered. */
      async offer() {
        const pc = new RTCPeerConnection(config);
        pc.ontrack = onTrack;
        addTracks(pc, "sendrecv");
        watch(pc);
        await pc.setLocalDescription(await pc.createOffer());
        return gathered(pc);
      },
      /** 1:1: answer an offer. */
      async answer(sdp: string) {
        const pc = new RTCPeerConnection(config);
        pc.ontrack = onTrack;
        await pc.setRemoteDescription({ type: "offer", sdp });
        addTracks(pc, "sendrecv", true);
        watch(pc);
        await pc.setLocalDescription(await pc.createAnswer());
        return gathered(pc);
      },
      /** Group: a sendonly publisher's offer. */
      async publish() {
        const pc = new RTCPeerConnection(config);
        addTracks(pc, "sendonly");
        pcs.push(pc);
        await pc.setLocalDescription(await pc.createOffer());
        return gathered(pc);
      },
      /** The answer to the last offer this page made (1:1 offer or group publisher). */
      async answered(sdp: string) {
        await pcs.at(-1)!.setRemoteDescription({ type: "answer", sdp });
      },
      /** Group: answer the SFU's subscription offer. */
      async subscribe(sdp: string) {
        const pc = new RTCPeerConnection(config);
        pc.ontrack = onTrack;
        watch(pc);
        await pc.setRemoteDescription({ type: "offer", sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        return gathered(pc);
      },
      /** Wall-clock times (Date.now()) at which `n` remote videos had decoded a frame: waits up to `ms`. */
      async decoded(n: number, ms: number) {
        const end = Date.now() + ms;
        while (firstDecoded.size < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
        return [...firstDecoded.values()].sort((a, b) => a - b);
      },
      async sframeStats() {
        return media ? media.stats() : undefined;
      },
      /** Hang up: everything closed, ready for the next round. */
      reset() {
        clearInterval(poll);
        poll = undefined;
        for (const pc of pcs.splice(0)) pc.close();
        for (const tr of stream?.getTracks() ?? []) tr.stop();
        worker?.terminate();
        worker = media = stream = undefined;
        firstDecoded.clear();
        document.querySelectorAll("video, audio").forEach((el) => el.remove());
      },
      /** µs per Opus-sized frame (160 B) of SFrame encrypt + decrypt in this browser's WebCrypto (median of 5 runs of 2,000). */
      async sframeMicros() {
        const { SFrameContext } = (await import("/crypto/sframe/index.ts" as string)) as typeof import("@parley/crypto/sframe");
        const a = new SFrameContext({ suite: 4 });
        const b = new SFrameContext({ suite: 4 });
        a.setEpoch({ epoch: 1n, baseKey: new Uint8Array(16).fill(1), ownLeafIndex: 0 });
        b.setEpoch({ epoch: 1n, baseKey: new Uint8Array(16).fill(1), ownLeafIndex: 1 });
        const frame = new Uint8Array(160).map((_, i) => i);
        const runs: number[] = [];
        for (let r = 0; r <= 5; r++) {
          const t0 = performance.now();
          for (let i = 0; i < 2000; i++) {
            const ct = await a.encrypt(frame, new Uint8Array(0));
            if (!(await b.decrypt(ct, new Uint8Array(0))).ok) throw new Error("decrypt failed");
          }
          if (r > 0) runs.push(((performance.now() - t0) * 1000) / 2000);
        }
        return runs.sort((x, y) => x - y)[2]!;
      },
    };
    Object.assign(window, { bench, mode });
  })();
}

type Bench = {
  start(o: { sframe: boolean; leaf: number; iceServers: RTCIceServer[]; relay: boolean }): Promise<void>;
  offer(): Promise<string>;
  answer(sdp: string): Promise<string>;
  publish(): Promise<string>;
  answered(sdp: string): Promise<void>;
  subscribe(sdp: string): Promise<string>;
  decoded(n: number, ms: number): Promise<number[]>;
  sframeStats(): Promise<{ encrypted: number; decrypted: number } | undefined>;
  reset(): void;
  sframeMicros(): Promise<number>;
};
type W = { bench: Bench };

let modules: http.Server | undefined;
let browser: Browser | undefined;
let coturn: TestCoturn | undefined;
let janus: TestJanus | undefined;
let s: TestServer | undefined;

async function ask(sock: TestSocket, frame: Record<string, unknown>): Promise<ServerFrameOf<"call.ack">> {
  const r = await callFrame(sock, frame);
  if (r.t !== "call.ack") throw new Error(`${String(frame.t)}: ${JSON.stringify(r).slice(0, 300)}`);
  return r;
}

async function newPage(base: string): Promise<Page> {
  const page = await (await browser!.newContext()).newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await page.goto(base);
  await page.evaluate(installHelpers);
  return page;
}

/** The call going on (attempt() leaves it when a call fails). */
let lastCallId = "";

/** One 1:1 call through coturn; ms from the click to each side's first remote frame. */
async function oneToOne(
  sframe: boolean,
  pages: [Page, Page],
  socks: [TestSocket, TestSocket],
  users: [TestUser, TestUser],
  channelId: string,
  iceServers: RTCIceServer[],
): Promise<{ caller: number; callee: number }> {
  const [pa, pb] = pages;
  const [a, b] = socks;
  const markB = b.frames.length;
  const t0 = Date.now();
  const mediaA = pa.evaluate((o: Parameters<Bench["start"]>[0]) => (window as unknown as W).bench.start(o), { sframe, leaf: 0, iceServers, relay: true });
  const call = (await ask(a, { t: "call.start", channelId })).call!;
  lastCallId = call.id;
  const ring = await b.waitFor<ServerFrameOf<"call.ring">>((f) => f.t === "call.ring" && f.callId === call.id, 10_000, markB);
  const mediaB = pb.evaluate((o: Parameters<Bench["start"]>[0]) => (window as unknown as W).bench.start(o), { sframe, leaf: 1, iceServers, relay: true });
  const markA = a.frames.length;
  await ask(b, { t: "call.accept", callId: ring.callId });
  await mediaA;
  const offer = await pa.evaluate(() => (window as unknown as W).bench.offer());
  await a.waitFor((f) => f.t === "call.state" && f.change.kind === "joined", 10_000, markA);
  const markB2 = b.frames.length;
  await ask(a, { t: "call.signal", callId: call.id, toDeviceId: users[1].tokens.deviceId, signal: { type: "offer", sdp: offer } });
  const got = await b.waitFor<ServerFrameOf<"call.signal">>((f) => f.t === "call.signal" && f.signal.type === "offer", 10_000, markB2);
  await mediaB;
  const answer = await pb.evaluate((sdp: string) => (window as unknown as W).bench.answer(sdp), (got.signal as { sdp: string }).sdp);
  const markA2 = a.frames.length;
  await ask(b, { t: "call.signal", callId: call.id, toDeviceId: users[0].tokens.deviceId, signal: { type: "answer", sdp: answer } });
  const back = await a.waitFor<ServerFrameOf<"call.signal">>((f) => f.t === "call.signal" && f.signal.type === "answer", 10_000, markA2);
  await pa.evaluate((sdp: string) => (window as unknown as W).bench.answered(sdp), (back.signal as { sdp: string }).sdp);
  const [ta, tb] = await Promise.all([
    pa.evaluate(() => (window as unknown as W).bench.decoded(1, 20_000)),
    pb.evaluate(() => (window as unknown as W).bench.decoded(1, 20_000)),
  ]);
  if (ta.length < 1 || tb.length < 1) throw new Error("no remote frame within 30 s");
  if (sframe) {
    const st = await pb.evaluate(() => (window as unknown as W).bench.sframeStats());
    if (!st || st.decrypted === 0) throw new Error("SFrame on but nothing decrypted");
  }
  for (const sock of socks) await ask(sock, { t: "call.leave", callId: call.id }).catch(() => undefined);
  for (const p of pages) await p.evaluate(() => (window as unknown as W).bench.reset());
  return { caller: ta[0]! - t0, callee: tb[0]! - t0 };
}

/** One group call through Janus; ms from the click to the caller's first remote frame and to every page decoding every other. */
async function group(sframe: boolean, pages: Page[], socks: TestSocket[], users: TestUser[], channelId: string): Promise<{ caller: number; all: number }> {
  const n = pages.length;
  const marks = socks.map((x) => x.frames.length);
  const t0 = Date.now();
  const media = pages.map((p, i) =>
    p.evaluate((o: Parameters<Bench["start"]>[0]) => (window as unknown as W).bench.start(o), { sframe, leaf: i, iceServers: [], relay: false }),
  );
  const call = (await ask(socks[0]!, { t: "call.start", channelId })).call!;
  lastCallId = call.id;
  await Promise.all(socks.slice(1).map((sock) => ask(sock, { t: "call.join", callId: call.id })));
  await Promise.all(
    pages.map(async (page, i) => {
      await media[i];
      const offer = await page.evaluate(() => (window as unknown as W).bench.publish());
      const res = await ask(socks[i]!, { t: "call.sfu.publish", callId: call.id, offer });
      await page.evaluate((sdp: string) => (window as unknown as W).bench.answered(sdp), res.description!.sdp);
    }),
  );
  await Promise.all(
    pages.map(async (page, i) => {
      const sock = socks[i]!;
      await sock.waitFor((f) => f.t === "call.sfu.feeds" && f.callId === call.id && f.feeds.length === n, 20_000, marks[i]);
      const others = users.filter((_, j) => j !== i).map((u) => u.tokens.deviceId);
      const sub = await ask(sock, { t: "call.sfu.subscribe", callId: call.id, feeds: others });
      const answer = await page.evaluate((sdp: string) => (window as unknown as W).bench.subscribe(sdp), sub.description!.sdp);
      await ask(sock, { t: "call.sfu.start", callId: call.id, answer });
    }),
  );
  const times = await Promise.all(pages.map((p) => p.evaluate((k: number) => (window as unknown as W).bench.decoded(k, 30_000), n - 1)));
  for (const [i, ts] of times.entries()) if (ts.length < n - 1) throw new Error(`page ${i} decoded ${ts.length} of ${n - 1} videos within 30 s`);
  for (const sock of socks) await ask(sock, { t: "call.leave", callId: call.id }).catch(() => undefined);
  for (const p of pages) await p.evaluate(() => (window as unknown as W).bench.reset());
  return { caller: times[0]![0]! - t0, all: Math.max(...times.map((ts) => ts[n - 2]!)) - t0 };
}

/** A call, or null when it failed (logged; every page and the call are reset for the next one). */
async function attempt<R>(pages: Page[], socks: TestSocket[], f: () => Promise<R>): Promise<R | null> {
  try {
    return await f();
  } catch (err) {
    console.log(`a call failed: ${(err as Error).message}`);
    for (const p of pages) await p.evaluate(() => (window as unknown as W).bench.reset());
    for (const sock of socks) {
      const mark = sock.frames.length;
      sock.send({ t: "call.leave", callId: lastCallId });
      await sock.waitFor((fr) => fr.t === "call.ack" || fr.t === "error", 5000, mark).catch(() => undefined);
    }
    return null;
  }
}
const fmt = (v: number[]) => `${percentile(v, 0.5).toFixed(0)} / ${percentile(v, 0.99).toFixed(0)}`;

async function main(): Promise<void> {
  const port = await freePort();
  modules = await serveModules(port);
  const base = `http://127.0.0.1:${port}/`;
  [coturn, janus] = await Promise.all([startTestCoturn(), startTestJanus()]);
  s = await startTestServer({
    dialect: "sqlite",
    config: {
      turnServer: `127.0.0.1:${coturn.port}`,
      turnSecret: coturn.secret,
      janusUrl: janus.url,
      janusApiSecret: janus.apiSecret,
      janusAdminKey: janus.adminKey,
      // The bench starts a call every second or two from the same user: no ring limit.
      callRingsPerMinute: 10_000,
    },
  });
  for (let i = 0; i < 400 && !s.deps.sfu!.health().up; i++) await new Promise((r) => setTimeout(r, 25));
  browser = await launchChromium([
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
  ]);
  const owner = await bootstrapOrg(s, { orgSlug: "bench" });
  const people: TestUser[] = [owner];
  for (let i = 1; i < Math.max(2, GROUP); i++) people.push(await makeUser(s, owner));
  const socks = await Promise.all(people.map((p) => connectUser(s!.url, p.accessToken)));
  const pages: Page[] = [];
  for (let i = 0; i < people.length; i++) pages.push(await newPage(base));
  console.log(
    `Call setup: ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, node ${process.version}, ${browser.version()}, SFrame mode ${await pages[0]!.evaluate(() => (window as unknown as { mode: string }).mode)}, load ${os.loadavg()[0]!.toFixed(2)} at start; ${ROUNDS} calls per case, SFrame off and on alternating`,
  );
  const sframeUs = await pages[0]!.evaluate(() => (window as unknown as W).bench.sframeMicros());
  console.log(`SFrame encrypt + decrypt of a 160 B Opus frame in Chromium (AES_128_GCM_SHA256_128): ${sframeUs.toFixed(1)} µs per frame (median of 5 x 2,000)`);

  try {
    const dm = (await owner.api("POST", "/dms", { userIds: [people[1]!.user.id] })).body.id as string;
    const ice = (await owner.api("GET", "/calls/ice-servers")).body.iceServers as RTCIceServer[];
    const failed: Record<string, number> = {};
    const oneResults = { off: { caller: [] as number[], callee: [] as number[] }, on: { caller: [] as number[], callee: [] as number[] } };
    // Round -1 warms up (first TURN allocation, JIT, codecs) and is not counted.
    for (let r = -1; r < ROUNDS; r++) {
      for (const sframe of (r + 2) % 2 === 0 ? [false, true] : [true, false]) {
        const x = await attempt(pages, socks, () => oneToOne(sframe, [pages[0]!, pages[1]!], [socks[0]!, socks[1]!], [people[0]!, people[1]!], dm, ice));
        if (!x) {
          failed[`1:1 ${sframe ? "on" : "off"}`] = (failed[`1:1 ${sframe ? "on" : "off"}`] ?? 0) + 1;
          continue;
        }
        if (r < 0) continue;
        oneResults[sframe ? "on" : "off"].caller.push(x.caller);
        oneResults[sframe ? "on" : "off"].callee.push(x.callee);
      }
    }
    const created = await owner.api("POST", "/channels", { kind: "private", name: "bench-group", members: people.slice(1, GROUP).map((p) => p.user.id) });
    const groupResults = { off: { caller: [] as number[], all: [] as number[] }, on: { caller: [] as number[], all: [] as number[] } };
    // Round -1 warms up (first TURN allocation, JIT, codecs) and is not counted.
    for (let r = -1; r < ROUNDS; r++) {
      for (const sframe of (r + 2) % 2 === 0 ? [false, true] : [true, false]) {
        const x = await attempt(pages, socks, () =>
          group(sframe, pages.slice(0, GROUP), socks.slice(0, GROUP), people.slice(0, GROUP), created.body.id as string),
        );
        if (!x) {
          failed[`group ${sframe ? "on" : "off"}`] = (failed[`group ${sframe ? "on" : "off"}`] ?? 0) + 1;
          continue;
        }
        if (r < 0) continue;
        groupResults[sframe ? "on" : "off"].caller.push(x.caller);
        groupResults[sframe ? "on" : "off"].all.push(x.all);
      }
    }
    console.log(`load ${os.loadavg()[0]!.toFixed(2)} at the end`);
    console.log("| case | SFrame | click to first remote frame p50 / p99 ms | second figure p50 / p99 ms |");
    console.log("|---|---|---|---|");
    for (const k of ["off", "on"] as const)
      console.log(`| 1:1 through coturn (relay only) | ${k} | caller ${fmt(oneResults[k].caller)} | callee ${fmt(oneResults[k].callee)} |`);
    for (const k of ["off", "on"] as const)
      console.log(
        `| group of ${GROUP} through Janus | ${k} | caller ${fmt(groupResults[k].caller)} | every page decodes every other ${fmt(groupResults[k].all)} |`,
      );
    console.log(`calls that did not show a remote frame in time (left out of the figures): ${JSON.stringify(failed)}`);
    console.log(`raw ms: ${JSON.stringify({ oneToOne: oneResults, group: groupResults, sframeUs })}`);
  } finally {
    for (const sock of socks) await sock.close();
  }
}

try {
  await main();
} finally {
  await browser?.close();
  await s?.stop();
  await Promise.all([coturn?.stop(), janus?.stop()]);
  await new Promise((r) => (modules ? modules.close(r) : r(undefined)));
}
