/**
 * What a call page does in the end-to-end encryption proof (call-e2ee-proof.test.ts): the web
 * app's SFrame media (call-modules.ts serves the modules as they are) on a publisher and a
 * subscriber peer connection to Janus, keys pushed in from the device's SDK client as the web
 * app's worker pushes them (`callKeys` on every epoch change, `null` once out of the group), and
 * every key the page was ever given kept so the test can try them on what the SFU recorded.
 */
import type { Page } from "playwright-core";

/** Call keys as they cross into the page (bigint and bytes as plain JSON). */
export interface PageKeys {
  suite: number;
  epoch: string;
  baseKey: number[];
  ownLeafIndex: number;
}

type T = typeof import("../../packages/web/src/calls/sframe-transform.ts");
interface PageCall {
  t: T;
  mode: ReturnType<T["detectSFrameMode"]>;
  media: InstanceType<T["SFrameMedia"]>;
  held: PageKeys[];
  pub?: RTCPeerConnection;
  sub?: RTCPeerConnection;
}

/** Start the page's SFrame worker (no keys yet: nothing is sent until keys arrive). */
export function startMedia(page: Page): Promise<void> {
  return page.evaluate(async () => {
    const t = (await import("/web/calls/sframe-transform.ts" as string)) as T;
    const mode = t.detectSFrameMode();
    Object.assign(window, { call: { t, mode, media: new t.SFrameMedia(t.startSFrameWorker(), mode), held: [] } satisfies PageCall });
  });
}

/** Give the page a new epoch's keys, or wipe them (`null`: the device left the channel's group). */
export function pushKeys(page: Page, keys: PageKeys | null): Promise<void> {
  return page.evaluate((k) => {
    const call = (window as unknown as { call: PageCall }).call;
    if (!k) return call.media.clearKeys();
    call.held.push(k);
    call.media.setKeys({ suite: k.suite as 4, epoch: BigInt(k.epoch), baseKey: new Uint8Array(k.baseKey), ownLeafIndex: k.ownLeafIndex });
  }, keys);
}

/** Every key the page was given. */
export function heldKeys(page: Page): Promise<PageKeys[]> {
  return page.evaluate(() => (window as unknown as { call: PageCall }).call.held);
}

/** The camera and microphone on a sendonly publisher, SFrame on both senders; the offer with its candidates. */
export function publisherOffer(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const call = (window as unknown as { call: PageCall }).call;
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
    const pub = new RTCPeerConnection(call.t.peerConnectionConfig(call.mode));
    for (const track of stream.getTracks()) {
      const tr = pub.addTransceiver(track, { direction: "sendonly", streams: [stream] });
      if (track.kind === "video") tr.setCodecPreferences(call.t.encryptableVideoCodecs());
      call.media.protectSender(tr.sender, track.kind as "audio" | "video", track.kind === "video" ? "video/VP8" : "audio/opus");
    }
    await pub.setLocalDescription(await pub.createOffer());
    while (pub.iceGatheringState !== "complete") await new Promise((r) => setTimeout(r, 50));
    call.pub = pub;
    return pub.localDescription!.sdp;
  });
}

/** Apply the SFU's answer to the publisher. */
export function applyAnswer(page: Page, sdp: string): Promise<void> {
  return page.evaluate(async (sdp) => {
    await (window as unknown as { call: PageCall }).call.pub!.setRemoteDescription({ type: "answer", sdp });
  }, sdp);
}

/** Answer the SFU's subscription offer (SFrame on every receiver); the answer with its candidates. */
export function subscriberAnswer(page: Page, sdp: string): Promise<string> {
  return page.evaluate(async (sdp) => {
    const call = (window as unknown as { call: PageCall }).call;
    const sub = new RTCPeerConnection(call.t.peerConnectionConfig(call.mode));
    call.sub = sub;
    sub.ontrack = ({ receiver, track }) => {
      const video = track.kind === "video";
      call.media.protectReceiver(receiver, video ? "video" : "audio", video ? "video/VP8" : "audio/opus");
      // A playing element, so the track is decoded as in the app.
      document.body.append(
        Object.assign(document.createElement(video ? "video" : "audio"), { autoplay: true, muted: true, srcObject: new MediaStream([track]) }),
      );
    };
    await sub.setRemoteDescription({ type: "offer", sdp });
    await sub.setLocalDescription(await sub.createAnswer());
    while (sub.iceGatheringState !== "complete") await new Promise((r) => setTimeout(r, 50));
    return sub.localDescription!.sdp;
  }, sdp);
}

/** The subscriber's video and audio received (summed over its streams) and the SFrame worker's counters. */
export interface Received {
  videos: number[];
  packets: number;
  decrypted: number;
  dropped: number;
}
export function received(page: Page): Promise<Received> {
  return page.evaluate(async () => {
    const call = (window as unknown as { call: PageCall }).call;
    const out = { videos: [] as number[], packets: 0 };
    (await call.sub?.getStats())?.forEach((r: Record<string, unknown>) => {
      if (r.type !== "inbound-rtp") return;
      out.packets += Number(r.packetsReceived ?? 0);
      if (r.kind === "video") out.videos.push(Number(r.framesDecoded ?? 0));
    });
    const s = await call.media.stats();
    return { ...out, decrypted: s.decrypted, dropped: s.dropped };
  });
}

/** What a VP8 decoder (WebCodecs) makes of a frame sequence: an error, or a 8×8 luma grid per output picture. */
export interface Decoded {
  error?: string;
  pictures: number[][];
}
export function decodeVp8(page: Page, frames: Array<{ data: number[]; keyFrame: boolean }>): Promise<Decoded> {
  return page.evaluate(async (frames) => {
    const out: Decoded = { pictures: [] };
    const pending: Promise<void>[] = [];
    const decoder = new VideoDecoder({
      output: (f) => {
        pending.push(
          (async () => {
            // I420 or NV12 (the decoder's choice): the first plane is luma either way.
            const buf = new Uint8Array(f.allocationSize());
            const [y] = await f.copyTo(buf);
            const w = f.visibleRect!.width;
            const h = f.visibleRect!.height;
            const grid: number[] = [];
            for (let gy = 0; gy < 8; gy++)
              for (let gx = 0; gx < 8; gx++) {
                let sum = 0;
                let n = 0;
                for (let yy = Math.floor((gy * h) / 8); yy < Math.floor(((gy + 1) * h) / 8); yy += 2)
                  for (let xx = Math.floor((gx * w) / 8); xx < Math.floor(((gx + 1) * w) / 8); xx += 2) {
                    sum += buf[y!.offset + yy * y!.stride + xx]!;
                    n++;
                  }
                grid.push(sum / Math.max(n, 1));
              }
            out.pictures.push(grid);
            f.close();
          })(),
        );
      },
      error: (e) => {
        out.error ??= String(e);
      },
    });
    decoder.configure({ codec: "vp8" });
    try {
      for (const [i, f] of frames.entries())
        decoder.decode(new EncodedVideoChunk({ type: f.keyFrame ? "key" : "delta", timestamp: i * 33_333, data: new Uint8Array(f.data) }));
      await decoder.flush();
    } catch (e) {
      out.error ??= String(e);
    }
    await Promise.all(pending);
    if (decoder.state !== "closed") decoder.close();
    return out;
  }, frames);
}
