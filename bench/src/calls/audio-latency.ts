/**
 * End-to-end audio latency with and without SFrame (issue 14), in headless Chromium: one page,
 * two peer connections over loopback (no TURN, no server: what differs between the cases is
 * only the SFrame transform on the sender and the receiver). A WebAudio oscillator is switched
 * on for 60 ms every 600 ms and sent as the microphone track; the page watches the local signal
 * and the received one with AnalyserNodes (polled every 2 ms) and times each pulse from its
 * onset at the sender to its onset at the receiver: encoding, packetising, the transform, the
 * network stack, the jitter buffer and decoding. SFrame off and on alternate in --rounds runs
 * of --pulses pulses each; medians per run, then the median of the runs. Also printed first: the
 * per-frame cost of SFrame encrypt + decrypt of an Opus-sized frame in Chromium's WebCrypto
 * (BoringSSL), the work the transform adds to each audio frame.
 *
 *   node bench/src/calls/audio-latency.ts [--rounds 4] [--pulses 20]
 */
import type http from "node:http";
import os from "node:os";
import type { Page } from "playwright-core";
import { freePort } from "@parley/server/testing/ports";
import { launchChromium } from "../../../test/browser/browser-support.ts";
import { serveModules } from "../../../test/browser/call-modules.ts";
import { percentile } from "./stats.ts";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const ROUNDS = Number(arg("rounds", "4"));
const PULSES = Number(arg("pulses", "20"));

/** Runs in the page: one loopback call, `pulses` tone pulses; each pulse's sender-to-receiver delay in ms. */
function measure(page: Page, o: { sframe: boolean; pulses: number }): Promise<{ delays: number[]; decrypted: number }> {
  return page.evaluate(async (o) => {
    type T = typeof import("../../../packages/web/src/calls/sframe-transform.ts");
    const t = (await import("/web/calls/sframe-transform.ts" as string)) as T;
    const mode = t.detectSFrameMode();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const ctx = new AudioContext({ latencyHint: "interactive" });
    await ctx.resume();
    const osc = new OscillatorNode(ctx, { frequency: 1000 });
    const gate = new GainNode(ctx, { gain: 0 });
    const out = new MediaStreamAudioDestinationNode(ctx);
    const localProbe = new AnalyserNode(ctx, { fftSize: 128 });
    osc.connect(gate).connect(out);
    gate.connect(localProbe);
    osc.start();

    const config = o.sframe ? t.peerConnectionConfig(mode) : {};
    const pcA = new RTCPeerConnection(config);
    const pcB = new RTCPeerConnection(config);
    const media = o.sframe ? new t.SFrameMedia(t.startSFrameWorker(), mode) : undefined;
    const mediaB = o.sframe ? new t.SFrameMedia(t.startSFrameWorker(), mode) : undefined;
    media?.setKeys({ suite: 4, epoch: 5n, baseKey: new Uint8Array(16).fill(3), ownLeafIndex: 0 });
    mediaB?.setKeys({ suite: 4, epoch: 5n, baseKey: new Uint8Array(16).fill(3), ownLeafIndex: 1 });
    const track = out.stream.getAudioTracks()[0]!;
    const tr = pcA.addTransceiver(track, { direction: "sendonly", streams: [out.stream] });
    media?.protectSender(tr.sender, "audio", "audio/opus");
    const remoteProbe = new AnalyserNode(ctx, { fftSize: 128 });
    const received = new Promise<void>((resolve) => {
      pcB.ontrack = (e) => {
        mediaB?.protectReceiver(e.receiver, "audio", "audio/opus");
        // Chromium plays a remote track into WebAudio only while an element holds it.
        const el = document.createElement("audio");
        el.muted = true;
        el.srcObject = new MediaStream([e.track]);
        document.body.append(el);
        void el.play().catch(() => undefined);
        ctx.createMediaStreamSource(new MediaStream([e.track])).connect(remoteProbe);
        resolve();
      };
    });
    const pair: Array<[RTCPeerConnection, RTCPeerConnection]> = [
      [pcA, pcB],
      [pcB, pcA],
    ];
    for (const [from, to] of pair) from.onicecandidate = (e) => e.candidate && void to.addIceCandidate(e.candidate);
    const offer = await pcA.createOffer();
    await Promise.all([pcA.setLocalDescription(offer), pcB.setRemoteDescription(offer)]);
    const answer = await pcB.createAnswer();
    await Promise.all([pcB.setLocalDescription(answer), pcA.setRemoteDescription(answer)]);
    await received;
    await sleep(1500); // the jitter buffer settles

    const buf = new Float32Array(128);
    const loud = (a: AnalyserNode) => {
      a.getFloatTimeDomainData(buf);
      let peak = 0;
      for (const v of buf) peak = Math.max(peak, Math.abs(v));
      return peak > 0.1;
    };
    const delays: number[] = [];
    for (let i = 0; i < o.pulses; i++) {
      gate.gain.setValueAtTime(0.8, ctx.currentTime + 0.01);
      gate.gain.setValueAtTime(0, ctx.currentTime + 0.07);
      let sentAt = 0;
      let gotAt = 0;
      const end = performance.now() + 550;
      while (performance.now() < end && !gotAt) {
        if (!sentAt && loud(localProbe)) sentAt = performance.now();
        if (sentAt && loud(remoteProbe)) gotAt = performance.now();
        await sleep(2);
      }
      if (sentAt && gotAt) delays.push(gotAt - sentAt);
      await sleep(Math.max(0, end - performance.now()) + 50);
    }
    const decrypted = mediaB ? (await mediaB.stats()).decrypted : 0;
    pcA.close();
    pcB.close();
    await ctx.close();
    document.querySelectorAll("audio").forEach((el) => el.remove());
    return { delays, decrypted };
  }, o);
}

/** µs per Opus-sized frame (160 B) of SFrame encrypt + decrypt in the page's WebCrypto (median of 5 runs of 2,000). */
function sframeMicros(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const { SFrameContext } = (await import("/crypto/sframe/index.ts" as string)) as typeof import("@parley/crypto/sframe");
    const a = new SFrameContext({ suite: 4 });
    const b = new SFrameContext({ suite: 4 });
    a.setEpoch({ epoch: 1n, baseKey: new Uint8Array(16).fill(1), ownLeafIndex: 0 });
    b.setEpoch({ epoch: 1n, baseKey: new Uint8Array(16).fill(1), ownLeafIndex: 1 });
    const frame = new Uint8Array(160).map((_, i) => i);
    const runs: number[] = [];
    // Run 0 warms up and is not counted.
    for (let r = 0; r <= 5; r++) {
      const t0 = performance.now();
      for (let i = 0; i < 2000; i++) {
        const ct = await a.encrypt(frame, new Uint8Array(0));
        if (!(await b.decrypt(ct, new Uint8Array(0))).ok) throw new Error("decrypt failed");
      }
      if (r > 0) runs.push(((performance.now() - t0) * 1000) / 2000);
    }
    return runs.sort((x, y) => x - y)[2]!;
  });
}

const port = await freePort();
const modules: http.Server = await serveModules(port);
const browser = await launchChromium(["--autoplay-policy=no-user-gesture-required"]);
try {
  const page = await (await browser.newContext()).newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await page.goto(`http://127.0.0.1:${port}/`);
  console.log(
    `Audio latency, loopback in one page: ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, ${browser.version()}, load ${os.loadavg()[0]!.toFixed(2)} at start; ${ROUNDS} rounds x ${PULSES} pulses per case`,
  );
  const sframeUs = await sframeMicros(page);
  console.log(`SFrame encrypt + decrypt of a 160 B Opus frame in Chromium (AES_128_GCM_SHA256_128): ${sframeUs.toFixed(1)} µs per frame (median of 5 x 2,000)`);
  const medians: Record<"off" | "on", number[]> = { off: [], on: [] };
  const all: Record<"off" | "on", number[]> = { off: [], on: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const sframe of r % 2 === 0 ? [false, true] : [true, false]) {
      const res = await measure(page, { sframe, pulses: PULSES });
      if (res.delays.length < PULSES / 2) throw new Error(`only ${res.delays.length} of ${PULSES} pulses arrived (SFrame ${sframe ? "on" : "off"})`);
      if (sframe && res.decrypted === 0) throw new Error("SFrame on but nothing decrypted");
      const k = sframe ? "on" : "off";
      medians[k].push(percentile(res.delays, 0.5));
      all[k].push(...res.delays);
      console.log(`round ${r + 1} SFrame ${k}: median ${percentile(res.delays, 0.5).toFixed(1)} ms over ${res.delays.length} pulses`);
    }
  }
  console.log("| SFrame | median of run medians ms | p50 / p90 of all pulses ms | pulses |");
  console.log("|---|---|---|---|");
  for (const k of ["off", "on"] as const)
    console.log(
      `| ${k} | ${percentile(medians[k], 0.5).toFixed(1)} | ${percentile(all[k], 0.5).toFixed(1)} / ${percentile(all[k], 0.9).toFixed(1)} | ${all[k].length} |`,
    );
  console.log(
    `SFrame adds ${(percentile(medians.on, 0.5) - percentile(medians.off, 0.5)).toFixed(1)} ms (median of run medians, on minus off); load ${os.loadavg()[0]!.toFixed(2)} at the end`,
  );
} finally {
  await browser.close();
  await new Promise((r) => modules.close(r));
}
