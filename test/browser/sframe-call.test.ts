// Media end-to-end encryption in a real browser (issue 14, done-means 2): two
// RTCPeerConnections in one page (loopback, no TURN) with Chromium's fake camera and
// microphone, the SFrame worker on every sender and receiver. With the channel's key the
// receiver decodes video and hears audio; with another key, or after the sender moved to an
// epoch the receiver has no key for (a removed member), nothing decodes.
//
// The page loads the web app's call modules as they are (call-modules.ts).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type http from "node:http";
import type { Browser, Page } from "playwright-core";
import { freePort } from "@parley/server/testing/ports";
import { launchChromium } from "./browser-support.ts";
import { serveModules } from "./call-modules.ts";

let server: http.Server;
let browser: Browser;
let base: string;

before(async () => {
  const port = await freePort();
  server = await serveModules(port);
  base = `http://127.0.0.1:${port}/`;
  browser = await launchChromium(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]);
});
after(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

interface CallResult {
  mode: string;
  video: { framesDecoded: number; packetsReceived: number };
  audio: { totalAudioEnergy: number; packetsReceived: number };
  sender: { encrypted: number; dropped: number };
  receiver: { decrypted: number; dropped: number; reasons: Record<string, number> };
  afterRotation?: { framesBefore: number; framesAfter: number; receiver: { decrypted: number; reasons: Record<string, number> } };
}

/** Runs in the page: a loopback call A -> B, B holding `receiverKey`; optionally A then moves to epoch 6 and B gets `rotateReceiverTo`. */
async function loopbackCall(page: Page, opts: { mode?: string; receiverKey: number; rotate?: "both" | "sender-only" }): Promise<CallResult> {
  await page.goto(base);
  return page.evaluate(async (o) => {
    const t = (await import("/web/calls/sframe-transform.ts" as string)) as typeof import("../../packages/web/src/calls/sframe-transform.ts");
    const mode = (o.mode ?? t.detectSFrameMode()) as import("../../packages/web/src/calls/sframe-transform.ts").SFrameMode;
    const key = (seed: number) => new Uint8Array(16).fill(seed);
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
    const pcA = new RTCPeerConnection(t.peerConnectionConfig(mode));
    const pcB = new RTCPeerConnection(t.peerConnectionConfig(mode));
    const a = new t.SFrameMedia(t.startSFrameWorker(), mode);
    const b = new t.SFrameMedia(t.startSFrameWorker(), mode);
    a.setKeys({ suite: 4, epoch: 5n, baseKey: key(1), ownLeafIndex: 0 });
    b.setKeys({ suite: 4, epoch: 5n, baseKey: key(o.receiverKey), ownLeafIndex: 1 });
    for (const track of stream.getTracks()) {
      const tr = pcA.addTransceiver(track, { direction: "sendonly", streams: [stream] });
      if (track.kind === "video") tr.setCodecPreferences(t.encryptableVideoCodecs());
      a.protectSender(tr.sender, track.kind as "audio" | "video", track.kind === "video" ? "video/VP8" : "audio/opus");
    }
    pcB.ontrack = (e) => {
      b.protectReceiver(e.receiver, e.track.kind as "audio" | "video", e.track.kind === "video" ? "video/VP8" : "audio/opus");
      const el = document.createElement(e.track.kind === "video" ? "video" : "audio");
      el.autoplay = true;
      el.srcObject = new MediaStream([e.track]);
      document.body.append(el);
    };
    pcA.onicecandidate = (e) => e.candidate && void pcB.addIceCandidate(e.candidate);
    pcB.onicecandidate = (e) => e.candidate && void pcA.addIceCandidate(e.candidate);
    await pcA.setLocalDescription(await pcA.createOffer());
    await pcB.setRemoteDescription(pcA.localDescription!);
    await pcB.setLocalDescription(await pcB.createAnswer());
    await pcA.setRemoteDescription(pcB.localDescription!);

    const inbound = async () => {
      const out = { video: { framesDecoded: 0, packetsReceived: 0 }, audio: { totalAudioEnergy: 0, packetsReceived: 0 } };
      (await pcB.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== "inbound-rtp") return;
        if (s.kind === "video") out.video = { framesDecoded: Number(s.framesDecoded ?? 0), packetsReceived: Number(s.packetsReceived ?? 0) };
        else out.audio = { totalAudioEnergy: Number(s.totalAudioEnergy ?? 0), packetsReceived: Number(s.packetsReceived ?? 0) };
      });
      return out;
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // Up to 10 s for media to flow and, with the right key, to decode.
    let s = await inbound();
    for (let i = 0; i < 50; i++) {
      if (s.video.packetsReceived > 50 && s.audio.packetsReceived > 50 && (o.receiverKey !== 1 || (s.video.framesDecoded > 5 && s.audio.totalAudioEnergy > 0)))
        break;
      await sleep(200);
      s = await inbound();
    }
    if (o.receiverKey !== 1) await sleep(1500);
    s = await inbound();
    const result: Record<string, unknown> = { mode, ...s, sender: await a.stats(), receiver: await b.stats() };
    if (o.rotate) {
      a.setKeys({ suite: 4, epoch: 6n, baseKey: key(2), ownLeafIndex: 0 });
      if (o.rotate === "both") b.setKeys({ suite: 4, epoch: 6n, baseKey: key(2), ownLeafIndex: 1 });
      await sleep(1000);
      const framesBefore = (await inbound()).video.framesDecoded;
      await sleep(2000);
      const framesAfter = (await inbound()).video.framesDecoded;
      result.afterRotation = { framesBefore, framesAfter, receiver: await b.stats() };
    }
    pcA.close();
    pcB.close();
    for (const tr of stream.getTracks()) tr.stop();
    return result as unknown as CallResult;
  }, opts);
}

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return { page, errors };
}

test("SFrame call: with the channel's key the receiver decodes video and hears audio; a key rotation both sides follow keeps media flowing", async () => {
  const { page, errors } = await newPage();
  const r = await loopbackCall(page, { receiverKey: 1, rotate: "both" });
  assert.equal(r.mode, "script-transform", "Chromium 150 has RTCRtpScriptTransform");
  assert.ok(r.video.framesDecoded > 5, `frames decoded: ${JSON.stringify(r)}`);
  assert.ok(r.audio.totalAudioEnergy > 0, `audio energy: ${JSON.stringify(r)}`);
  assert.ok(r.sender.encrypted > 50 && r.receiver.decrypted > 50, JSON.stringify(r));
  assert.ok(r.afterRotation!.framesAfter > r.afterRotation!.framesBefore, `decoding continues in epoch 6: ${JSON.stringify(r.afterRotation)}`);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("SFrame call: a receiver holding another key decodes nothing; its decrypt-failure counter rises", async () => {
  const { page, errors } = await newPage();
  const r = await loopbackCall(page, { receiverKey: 9 });
  assert.ok(r.video.packetsReceived > 50 && r.audio.packetsReceived > 50, `media reached the receiver: ${JSON.stringify(r)}`);
  assert.equal(r.video.framesDecoded, 0, JSON.stringify(r));
  assert.equal(r.audio.totalAudioEnergy, 0, JSON.stringify(r));
  assert.equal(r.receiver.decrypted, 0);
  assert.ok((r.receiver.reasons.auth_failed ?? 0) > 50, JSON.stringify(r.receiver));
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("SFrame call: after the sender moves to an epoch the receiver has no key for (it was removed), decoding stops", async () => {
  const { page, errors } = await newPage();
  const r = await loopbackCall(page, { receiverKey: 1, rotate: "sender-only" });
  assert.ok(r.video.framesDecoded > 5, "decoding worked before the rotation");
  const after = r.afterRotation!;
  assert.equal(after.framesAfter, after.framesBefore, `no frame decoded in the new epoch: ${JSON.stringify(after)}`);
  assert.ok((after.receiver.reasons.unknown_epoch ?? 0) > 20, JSON.stringify(after.receiver));
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("SFrame call: the createEncodedStreams fallback (encodedInsertableStreams) encrypts and decrypts too", async () => {
  const { page, errors } = await newPage();
  const good = await loopbackCall(page, { mode: "encoded-streams", receiverKey: 1 });
  assert.equal(good.mode, "encoded-streams");
  assert.ok(good.video.framesDecoded > 5 && good.audio.totalAudioEnergy > 0, JSON.stringify(good));
  assert.ok(good.receiver.decrypted > 50, JSON.stringify(good.receiver));
  const bad = await loopbackCall(page, { mode: "encoded-streams", receiverKey: 9 });
  assert.equal(bad.video.framesDecoded, 0, JSON.stringify(bad));
  assert.ok((bad.receiver.reasons.auth_failed ?? 0) > 50, JSON.stringify(bad.receiver));
  assert.deepEqual(errors, []);
  await page.context().close();
});
