// A group call through the server and Janus in real browsers (issue 14, done-means 1, group
// part): four Chromium pages with fake camera and microphone each publish to Janus and subscribe
// to the three others, every SDP going through the server's call.sfu.* frames (the pages never
// reach Janus's API; the test drives each device's signalling socket), with SFrame on every
// sender and receiver (Janus rooms require end-to-end encryption). Every page decodes every
// other page's video and hears its audio (getStats: framesDecoded, totalAudioEnergy).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type http from "node:http";
import type { Browser, Page } from "playwright-core";
import type { ServerFrameOf } from "@parley/protocol";
import { freePort } from "@parley/server/testing/ports";
import { startTestServer, type TestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, makeUser, type TestUser } from "@parley/server/testing/factories";
import { startTestJanus, type TestJanus } from "@parley/server/testing/janus";
import { callFrame } from "@parley/server/testing/calls";
import { connectUser, type TestSocket } from "../../packages/server/src/gateway/test-client.ts";
import { launchChromium } from "./browser-support.ts";
import { serveModules } from "./call-modules.ts";
import { pollUntil } from "./call-pages.ts";

let modules: http.Server;
let browser: Browser;
let janus: TestJanus;
let s: TestServer;
let base: string;

before(async () => {
  const port = await freePort();
  modules = await serveModules(port);
  base = `http://127.0.0.1:${port}/`;
  janus = await startTestJanus();
  s = await startTestServer({ dialect: "sqlite", config: { janusUrl: janus.url, janusApiSecret: janus.apiSecret, janusAdminKey: janus.adminKey } });
  browser = await launchChromium([
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
  ]);
});
after(async () => {
  await browser?.close();
  await s?.stop();
  await janus?.stop();
  await new Promise((r) => modules?.close(r));
});

interface Inbound {
  kind: string;
  framesDecoded: number;
  totalAudioEnergy: number;
  packetsReceived: number;
}

/** Set up the page's SFrame media and publisher; returns the publisher's offer (candidates gathered). */
function publisherOffer(page: Page, leaf: number): Promise<string> {
  return page.evaluate(async (leaf) => {
    const t = (await import("/web/calls/sframe-transform.ts" as string)) as typeof import("../../packages/web/src/calls/sframe-transform.ts");
    const mode = t.detectSFrameMode();
    const media = new t.SFrameMedia(t.startSFrameWorker(), mode);
    // Every participant holds the channel's epoch key; each sends under its own leaf index.
    media.setKeys({ suite: 4, epoch: 5n, baseKey: new Uint8Array(16).fill(7), ownLeafIndex: leaf });
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
    const pub = new RTCPeerConnection(t.peerConnectionConfig(mode));
    for (const track of stream.getTracks()) {
      const tr = pub.addTransceiver(track, { direction: "sendonly", streams: [stream] });
      if (track.kind === "video") tr.setCodecPreferences(t.encryptableVideoCodecs());
      media.protectSender(tr.sender, track.kind as "audio" | "video", track.kind === "video" ? "video/VP8" : "audio/opus");
    }
    await pub.setLocalDescription(await pub.createOffer());
    while (pub.iceGatheringState !== "complete") await new Promise((r) => setTimeout(r, 50));
    Object.assign(window, { call: { t, mode, media, pub } });
    return pub.localDescription!.sdp;
  }, leaf);
}

function publisherAnswered(page: Page, sdp: string): Promise<void> {
  return page.evaluate(async (sdp) => {
    const { pub } = (window as unknown as { call: { pub: RTCPeerConnection } }).call;
    await pub.setRemoteDescription({ type: "answer", sdp });
  }, sdp);
}

/** Answer the SFU's subscription offer; returns the answer (candidates gathered). */
function subscriberAnswer(page: Page, sdp: string): Promise<string> {
  return page.evaluate(async (sdp) => {
    type T = typeof import("../../packages/web/src/calls/sframe-transform.ts");
    const call = (
      window as unknown as { call: { t: T; mode: ReturnType<T["detectSFrameMode"]>; media: InstanceType<T["SFrameMedia"]>; sub?: RTCPeerConnection } }
    ).call;
    const sub = new RTCPeerConnection(call.t.peerConnectionConfig(call.mode));
    call.sub = sub;
    sub.ontrack = (e) => {
      call.media.protectReceiver(e.receiver, e.track.kind as "audio" | "video", e.track.kind === "video" ? "video/VP8" : "audio/opus");
      const el = document.createElement(e.track.kind === "video" ? "video" : "audio");
      el.autoplay = true;
      el.muted = e.track.kind === "audio" ? false : true;
      el.srcObject = new MediaStream([e.track]);
      document.body.append(el);
    };
    await sub.setRemoteDescription({ type: "offer", sdp });
    await sub.setLocalDescription(await sub.createAnswer());
    while (sub.iceGatheringState !== "complete") await new Promise((r) => setTimeout(r, 50));
    return sub.localDescription!.sdp;
  }, sdp);
}

function inbound(page: Page): Promise<Inbound[]> {
  return page.evaluate(async () => {
    const { sub } = (window as unknown as { call: { sub: RTCPeerConnection } }).call;
    const out: Inbound[] = [];
    (await sub.getStats()).forEach((r: Record<string, unknown>) => {
      if (r.type !== "inbound-rtp") return;
      out.push({
        kind: String(r.kind),
        framesDecoded: Number(r.framesDecoded ?? 0),
        totalAudioEnergy: Number(r.totalAudioEnergy ?? 0),
        packetsReceived: Number(r.packetsReceived ?? 0),
      });
    });
    return out;
  });
}

test("a four-person group call through the server and Janus: every page decodes every other page's video and audio, SFrame on", async () => {
  for (let i = 0; i < 200 && !s.deps.sfu!.health().up; i++) await new Promise((r) => setTimeout(r, 25));
  const owner = await bootstrapOrg(s, { orgSlug: "acme" });
  const people: TestUser[] = [owner];
  for (let i = 0; i < 3; i++) people.push(await makeUser(s, owner));
  const created = await owner.api("POST", "/channels", { kind: "private", name: "standup", members: people.slice(1).map((p) => p.user.id) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const sockets: TestSocket[] = await Promise.all(people.map((p) => connectUser(s.url, p.accessToken)));
  const ask = async (sock: TestSocket, frame: Record<string, unknown>) => {
    const r = await callFrame(sock, frame);
    assert.equal(r.t, "call.ack", JSON.stringify(r).slice(0, 300));
    return r as ServerFrameOf<"call.ack">;
  };
  const call = (await ask(sockets[0]!, { t: "call.start", channelId: created.body.id })).call!;
  assert.equal(call.kind, "sfu");
  for (const sock of sockets.slice(1)) await ask(sock, { t: "call.join", callId: call.id });

  const errors: string[] = [];
  const pages: Page[] = [];
  for (let i = 0; i < people.length; i++) {
    const page = await (await browser.newContext()).newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(base);
    pages.push(page);
  }
  try {
    // Each page publishes through the server: its offer in call.sfu.publish, Janus's answer back.
    await Promise.all(
      pages.map(async (page, i) => {
        const offer = await publisherOffer(page, i);
        const ack = await ask(sockets[i]!, { t: "call.sfu.publish", callId: call.id, offer });
        assert.equal(ack.description?.type, "answer");
        await publisherAnswered(page, ack.description.sdp);
      }),
    );
    // Once everyone's media flows, each device hears of all four feeds and subscribes to the three others.
    await Promise.all(
      pages.map(async (page, i) => {
        const sock = sockets[i]!;
        await sock.waitFor((f) => f.t === "call.sfu.feeds" && f.feeds.length === people.length, 20_000);
        const others = people.filter((_, j) => j !== i).map((p) => p.tokens.deviceId);
        const sub = await ask(sock, { t: "call.sfu.subscribe", callId: call.id, feeds: others });
        assert.equal(sub.description?.type, "offer");
        const answer = await subscriberAnswer(page, sub.description.sdp);
        await ask(sock, { t: "call.sfu.start", callId: call.id, answer });
      }),
    );
    // Every page decodes three videos and hears three audio streams (up to 20 s).
    const ok = (r: Inbound[]) =>
      r.filter((x) => x.kind === "video" && x.framesDecoded > 5).length === 3 && r.filter((x) => x.kind === "audio" && x.totalAudioEnergy > 0).length === 3;
    let stats: Inbound[][] = [];
    for (let round = 0; round < 100; round++) {
      stats = await Promise.all(pages.map(inbound));
      if (stats.every(ok)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const [i, r] of stats.entries()) assert.ok(ok(r), `page ${i}: ${JSON.stringify(r)}`);
    // The frames were SFrame-encrypted end to end: each page's worker encrypted what it sent and
    // decrypted what it got. The counters go on rising: read them until each passes 50 (up to 10 s;
    // a fast start once met the decoding check above with a page's 50th frame just encrypted).
    const sframe = () =>
      Promise.all(
        pages.map((page) =>
          page.evaluate(() => (window as unknown as { call: { media: { stats(): Promise<{ encrypted: number; decrypted: number }> } } }).call.media.stats()),
        ),
      );
    const enough = (c: { encrypted: number; decrypted: number }) => c.encrypted > 50 && c.decrypted > 50;
    await pollUntil("every page's SFrame counters past 50", sframe, (counters) => counters.every(enough), 10_000);
    assert.deepEqual(errors, []);
  } finally {
    for (const page of pages) await page.context().close();
    for (const sock of sockets) await sock.close();
  }
});
