/**
 * What the web app's call tests (call-1to1, call-group, call-group-dm, call-simulcast) and the call-setup
 * benchmark (bench/src/calls/setup.ts) share: Chromium's fake-media switches, a real Janus and a
 * web server pointing at it, init scripts of the tests (not of the app) that keep the page's
 * RTCPeerConnections on `window.__pcs` for getStats, and the group call's channel that every
 * participant's device is in at the same epoch; what a group call page decodes, per tile.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import type { Browser, Page } from "playwright-core";
import { startTestCoturn } from "@parley/server/testing/coturn";
import { startTestJanus } from "@parley/server/testing/janus";
import type { TestServer } from "@parley/server/testing/harness";
import { createChannel, launchChromium, startWebServer, type WebServerConfig } from "./browser-support.ts";

/** Init script: every RTCPeerConnection of the page relays through TURN and is kept for getStats. */
export function relayOnly(): void {
  const Native = window.RTCPeerConnection;
  const w = window as unknown as { __pcs: RTCPeerConnection[] };
  w.__pcs = [];
  class RelayOnly extends Native {
    constructor(config: RTCConfiguration = {}) {
      super({ ...config, iceTransportPolicy: "relay" });
      w.__pcs.push(this);
    }
  }
  window.RTCPeerConnection = RelayOnly;
}

/** Chromium switches for calls with fake camera and microphone, no permission prompt, audio that plays. */
export const FAKE_MEDIA_ARGS = [
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--autoplay-policy=no-user-gesture-required",
  "--allow-loopback-in-peer-connection",
];

/** What {@link groupCallSuite} and {@link dmCallSuite} start for a test file. */
export interface CallSuite {
  server: TestServer;
  browser: Browser;
  /** Page errors of the pages made with newUserPage(suite.browser, suite.errors). */
  errors: string[];
}

/**
 * Register the file's before/after: a media server (`media`: started first, stopped last), a web
 * server with the settings it returns, Chromium with fake camera, microphone and screen. The
 * fields are set once `before` ran.
 */
function callSuite(media: () => Promise<{ config: WebServerConfig; stop(): Promise<void> }>): CallSuite {
  const suite = { errors: [] as string[] } as CallSuite;
  let stopMedia: (() => Promise<void>) | undefined;
  before(async () => {
    const started = await media();
    stopMedia = () => started.stop();
    suite.server = await startWebServer(started.config);
    suite.browser = await launchChromium([...FAKE_MEDIA_ARGS, "--auto-select-desktop-capture-source=Entire screen"]);
  });
  after(async () => {
    await suite.browser?.close();
    await suite.server?.stop();
    await stopMedia?.();
  });
  return suite;
}

/** The group call tests' suite: Janus from the project's script, the web server pointing at it. */
export function groupCallSuite(): CallSuite {
  return callSuite(async () => {
    const janus = await startTestJanus();
    return { config: { janusUrl: janus.url, janusApiSecret: janus.apiSecret, janusAdminKey: janus.adminKey }, stop: () => janus.stop() };
  });
}

/** The 1:1 call tests' suite: coturn from the project's script, the web server handing out its credentials (plus `config`). */
export function dmCallSuite(config: WebServerConfig = {}): CallSuite {
  return callSuite(async () => {
    const coturn = await startTestCoturn();
    return { config: { turnServer: `127.0.0.1:${coturn.port}`, turnSecret: coturn.secret, ...config }, stop: () => coturn.stop() };
  });
}

/** Wait (5 s at most) until the server's SFU adapter reached Janus. */
export async function sfuUp(server: TestServer): Promise<void> {
  for (let i = 0; i < 200 && !server.deps.sfu!.health().up; i++) await new Promise((r) => setTimeout(r, 25));
}

/** 320x240 at 15 fps: four pages encoding and decoding on a 2-core test machine. */
export const SMALL_CAMERA = { width: 320, height: 240, frameRate: 15 };

/**
 * Init script (test-only, passed to addInitScript with the camera size): keep every
 * RTCPeerConnection of the page on `window.__pcs` and the call's SFrame worker on
 * `window.__sframe` (its counters go in {@link Seen}), and ask the fake camera for `camera`.
 */
export function keepConnections(camera: { width: number; height: number; frameRate: number }): void {
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (c?: MediaStreamConstraints) => gum(c?.video ? { ...c, video: camera } : c);
  const Native = window.RTCPeerConnection;
  const w = window as unknown as { __pcs: RTCPeerConnection[]; __sframe?: Worker };
  w.__pcs = [];
  class Kept extends Native {
    constructor(config: RTCConfiguration = {}) {
      super(config);
      w.__pcs.push(this);
    }
  }
  window.RTCPeerConnection = Kept;
  const NativeWorker = window.Worker;
  class KeptWorker extends NativeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      if (options?.name === "sframe") w.__sframe = this;
    }
  }
  window.Worker = KeptWorker;
}

/** Each page posts a line in `channel` and reads every page's: all the devices hold the channel's current epoch keys. */
export async function exchangeLines(pages: readonly Page[], channel: string): Promise<void> {
  for (const [i, page] of pages.entries()) {
    const box = page.getByRole("textbox", { name: `Message #${channel}` });
    await box.fill(`ready ${i}`);
    await box.press("Enter");
  }
  for (const page of pages)
    for (let i = 0; i < pages.length; i++) await page.locator("main article.msg", { hasText: `ready ${i}` }).waitFor({ timeout: 30_000 });
}

export interface Seen {
  /** Frames decoded of the camera each tile shows, by the tile's name. */
  tiles: Record<string, number>;
  /** Frames decoded of the large shared screen, if one shows. */
  screen: number;
  /** Audio energy of each received audio stream. */
  audio: number[];
  /** Senders and receivers of open connections without an SFrame transform. */
  clear: number;
  /** Each received stream's RTP as the connection counts it ("video mid 3: 812 packets, 240/238 frames received/decoded"): which side stops, when a tile stays dark. */
  received: string[];
  /** Tiles that say their media does not decrypt here ("Can't decrypt"). */
  undecryptable: string[];
  /** The call's SFrame worker's counters (per sender leaf index, and the epochs it holds), when keepConnections found it: why frames that arrive do not decode. */
  sframe?: unknown;
}

/** What the page decodes, matched to what its call screen shows (by the tracks' ids). */
export function seen(page: Page): Promise<Seen> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState !== "closed");
    const frames = new Map<string, number>();
    const audio: number[] = [];
    const received: string[] = [];
    let clear = 0;
    for (const pc of pcs) {
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== "inbound-rtp") return;
        const frameCounts = s.kind === "video" ? `, ${Number(s.framesReceived ?? 0)}/${Number(s.framesDecoded ?? 0)} frames received/decoded` : "";
        received.push(`${String(s.kind)} mid ${String(s.mid)}: ${Number(s.packetsReceived ?? 0)} packets${frameCounts}`);
        if (s.kind === "video") frames.set(String(s.trackIdentifier), Number(s.framesDecoded ?? 0));
        else audio.push(Number(s.totalAudioEnergy ?? 0));
      });
      for (const t of pc.getTransceivers())
        if ((t.sender.track && !t.sender.transform) || (t.currentDirection !== "sendonly" && !t.receiver.transform)) clear++;
    }
    const trackOf = (v: HTMLVideoElement | null) => ((v?.srcObject as MediaStream | null)?.getVideoTracks()[0]?.id ?? "") as string;
    const tiles: Record<string, number> = {};
    const undecryptable: string[] = [];
    for (const fig of Array.from(document.querySelectorAll<HTMLElement>("[aria-label='Call'] figure.group-tile"))) {
      tiles[fig.getAttribute("aria-label") ?? ""] = frames.get(trackOf(fig.querySelector("video"))) ?? 0;
      if (fig.querySelector(".group-mark.warn")) undecryptable.push(fig.getAttribute("aria-label") ?? "");
    }
    const screen = frames.get(trackOf(document.querySelector<HTMLVideoElement>("[aria-label='Call'] video.group-screen-share"))) ?? 0;
    const worker = (window as unknown as { __sframe?: Worker }).__sframe;
    // The app's own stats requests use small ids; this one answers only here. A terminated worker never answers: 1 s at most.
    const sframe = await new Promise<unknown>((resolve) => {
      if (!worker) return resolve(undefined);
      const id = 1e9 + Math.floor(Math.random() * 1e6);
      const done = (stats: unknown) => {
        clearTimeout(timer);
        worker.removeEventListener("message", onMessage);
        resolve(stats);
      };
      const onMessage = (e: MessageEvent<{ t: string; id: number; stats: unknown }>) => e.data.t === "stats" && e.data.id === id && done(e.data.stats);
      const timer = setTimeout(() => done(undefined), 1000);
      worker.addEventListener("message", onMessage);
      worker.postMessage({ t: "stats", id });
    });
    return { tiles, screen, audio, clear, received, undecryptable, sframe };
  });
}

/** Poll until `ok` holds on the page (2 min: four pages' media on a busy machine). */
export function until(page: Page, what: string, ok: (s: Seen) => boolean): Promise<Seen> {
  return pollUntil(what, () => seen(page), ok, 120_000);
}

/**
 * Wait until page `i` of a group call among `names` decodes the video of every other person's
 * tile and hears each of them (audio energy on names.length - 1 streams); then every sender and
 * receiver must be SFrame-transformed and the page must show one tile per person.
 */
export async function seesAndHearsTheOthers(page: Page, names: readonly string[], i: number): Promise<Seen> {
  const others = names.filter((_, j) => j !== i);
  const s = await until(
    page,
    `${names[i]} sees and hears the others`,
    (s) => others.every((n) => (s.tiles[n] ?? 0) > 5) && s.audio.filter((e) => e > 0).length >= others.length,
  );
  assert.equal(s.clear, 0, `${names[i]}: every sender and receiver is SFrame-transformed`);
  assert.equal(Object.keys(s.tiles).length, names.length, `${names[i]}: ${names.length} tiles, ${JSON.stringify(s.tiles)}`);
  return s;
}

/** Poll `read` every 200 ms until `ok` holds (at most `ms`), else fail naming `what` and the last reading. */
export async function pollUntil<T>(what: string, read: () => Promise<T>, ok: (s: T) => boolean, ms = 60_000): Promise<T> {
  let s = await read();
  for (const end = Date.now() + ms; !ok(s) && Date.now() < end; s = await read()) await new Promise((r) => setTimeout(r, 200));
  assert.ok(ok(s), `${what}: ${JSON.stringify(s)}`);
  return s;
}

/**
 * The first page creates public channel `name`; the others browse and join it; each posts a line
 * and every page reads every line, which proves all devices hold the channel's keys at the same
 * epoch (a group call's SFrame keys come from it). Every page ends in the channel.
 */
export async function everyoneInChannel(pages: readonly Page[], name: string): Promise<void> {
  await createChannel(pages[0]!, name);
  for (const page of pages.slice(1)) {
    await page.getByRole("button", { name: "Browse channels" }).click();
    await page.getByRole("button", { name: `Join ${name}` }).click();
    await page.getByRole("dialog", { name: "Browse channels" }).waitFor({ state: "detached", timeout: 30_000 });
    await page.getByRole("heading", { name: `# ${name}` }).waitFor();
  }
  await exchangeLines(pages, name);
}

/**
 * `bytes` played as a video in a blank page of `page`'s browser (the app's CSP allows no blob:
 * media): its duration in seconds (MediaRecorder's WebM states none: seek to the end), size, and
 * the largest share of pixels not near black among the frames at ¼, ½, ¾ and the end (a picture,
 * not an empty canvas; a composite's first frames are dark until its sources decode, which takes
 * longer on a busy machine).
 */
export async function playedVideo(page: Page, bytes: Buffer): Promise<{ duration: number; width: number; height: number; lit: number; litAt: number[] }> {
  const scratch = await page.context().newPage();
  try {
    return await scratch.evaluate(async (b64) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const v = document.createElement("video");
      v.muted = true;
      v.src = URL.createObjectURL(new Blob([data], { type: "video/webm" }));
      await new Promise((resolve, reject) => {
        v.onloadedmetadata = resolve;
        v.onerror = () => reject(new Error(`not playable: ${v.error?.message ?? "?"}`));
      });
      if (!Number.isFinite(v.duration)) {
        await new Promise((resolve) => {
          v.ondurationchange = () => Number.isFinite(v.duration) && resolve(undefined);
          v.currentTime = 1e9;
        });
      }
      const canvas = document.createElement("canvas");
      canvas.width = v.videoWidth;
      canvas.height = v.videoHeight;
      const ctx = canvas.getContext("2d")!;
      const litAt: number[] = [];
      for (const at of [0.25, 0.5, 0.75, 0.98]) {
        // A seek decodes the picture there.
        await new Promise((resolve) => {
          v.onseeked = resolve;
          v.currentTime = v.duration * at;
        });
        ctx.drawImage(v, 0, 0);
        const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i]! + px[i + 1]! + px[i + 2]! > 90) n++;
        litAt.push(n / (px.length / 4));
      }
      return { duration: v.duration, width: v.videoWidth, height: v.videoHeight, lit: Math.max(...litAt), litAt };
    }, bytes.toString("base64"));
  } finally {
    await scratch.close();
  }
}
