// End-to-end media encryption of a call's RTCPeerConnections (ADR 0010, docs/calls.md):
// attaches the SFrame worker (sframe-worker.ts) to every sender and receiver through
// RTCRtpScriptTransform where the browser has it, else through createEncodedStreams
// (Chromium's older encodedInsertableStreams, which needs the peer connection created with
// `encodedInsertableStreams: true`: use `peerConnectionConfig`). Keys come from the
// channel's MLS group (`callKeys` / `CallKeyWatch` of @parley/crypto) and are pushed to the
// worker on every epoch change; when this device leaves the group they are wiped.
import type { CallKeys, CallKeyWatch } from "@parley/crypto";
import type { SFrameDropReason, SFrameSuiteId } from "@parley/crypto/sframe";
import { SFRAME_VIDEO_CODECS, type MediaKind } from "./frame-layout.ts";

/** How this browser lets us transform encoded frames. */
export type SFrameMode = "script-transform" | "encoded-streams" | "none";

/** What the worker is told about one sender or receiver. */
export interface SFrameTransformOptions {
  direction: "send" | "receive";
  kind: MediaKind;
  /** The negotiated codec (e.g. "video/VP8"), used when a frame's metadata does not say. */
  codec?: string;
}

/** Frames decrypted and dropped (by reason). */
export interface SFrameReceived {
  decrypted: number;
  dropped: number;
  reasons: Partial<Record<SFrameDropReason | "no_keys", number>>;
}

/** Counters of the worker: frames encrypted, decrypted and dropped (by reason), in all and per sender. */
export interface SFrameStats extends SFrameReceived {
  encrypted: number;
  /** What arrived from each sender, by the leaf index its frames' KID names (frames whose header did not parse are only in the totals). */
  senders: Record<number, SFrameReceived>;
  /** The epochs the worker holds keys of, newest (sending) first. */
  epochs: number[];
}

/** Messages to the worker. */
export type SFrameWorkerCommand =
  | { t: "keys"; suite: SFrameSuiteId; epoch: bigint; baseKey: Uint8Array; ownLeafIndex: number }
  | { t: "clear" }
  | { t: "streams"; readable: ReadableStream; writable: WritableStream; options: SFrameTransformOptions }
  | { t: "stats"; id: number };

interface EncodedStreams {
  readable: ReadableStream;
  writable: WritableStream;
}
type WithEncodedStreams = { createEncodedStreams?: () => EncodedStreams };

/** The transform path this browser supports, best first. */
export function detectSFrameMode(): SFrameMode {
  if (typeof globalThis.RTCRtpScriptTransform === "function") return "script-transform";
  const proto = (globalThis.RTCRtpSender?.prototype ?? {}) as WithEncodedStreams;
  return typeof proto.createEncodedStreams === "function" ? "encoded-streams" : "none";
}

/** RTCPeerConnection settings the chosen mode needs (encodedInsertableStreams for the fallback). */
export function peerConnectionConfig(mode: SFrameMode, base: RTCConfiguration = {}): RTCConfiguration {
  return mode === "encoded-streams" ? ({ ...base, encodedInsertableStreams: true } as RTCConfiguration) : base;
}

/**
 * The video codecs an encrypted call may negotiate, VP8 first (see frame-layout.ts): pass to
 * `transceiver.setCodecPreferences` so H.264 and AV1, whose packetizers read inside frames,
 * are never chosen.
 */
export function encryptableVideoCodecs(): RTCRtpCodec[] {
  const all = RTCRtpReceiver.getCapabilities("video")?.codecs ?? [];
  return SFRAME_VIDEO_CODECS.flatMap((mime) => all.filter((c) => c.mimeType.toLowerCase() === mime.toLowerCase()));
}

/** The SFrame worker, loaded as a module worker (bundled by Vite). */
export function startSFrameWorker(): Worker {
  return new Worker(new URL("./sframe-worker.ts", import.meta.url), { type: "module", name: "sframe" });
}

/** One call's media encryption: a worker, its keys, and the senders and receivers it protects. */
export class SFrameMedia {
  readonly #worker: Worker;
  readonly mode: SFrameMode;
  #nextId = 0;

  constructor(worker: Worker, mode: SFrameMode = detectSFrameMode()) {
    if (mode === "none")
      throw new Error("this browser cannot transform encoded media frames: encrypted calls need RTCRtpScriptTransform or createEncodedStreams");
    this.#worker = worker;
    this.mode = mode;
  }

  /** Push an epoch's keys (the worker starts sending under them at once and keeps the previous epoch for a short grace). */
  setKeys(keys: Pick<CallKeys, "suite" | "epoch" | "baseKey" | "ownLeafIndex">): void {
    this.#post({ t: "keys", suite: keys.suite, epoch: keys.epoch, baseKey: keys.baseKey, ownLeafIndex: keys.ownLeafIndex });
  }

  /** Wipe every key in the worker: frames are no longer sent or accepted. */
  clearKeys(): void {
    this.#post({ t: "clear" });
  }

  /** Follow a channel's epochs: new keys on each rotation, a wipe when this device leaves the group. Returns the unsubscribe function. */
  follow(watch: Pick<CallKeyWatch, "onRotate">): () => void {
    return watch.onRotate((keys) => (keys ? this.setKeys(keys) : this.clearKeys()));
  }

  /** Encrypt what `sender` sends. Call before the first frame (right after addTrack/addTransceiver). */
  protectSender(sender: RTCRtpSender, kind: MediaKind, codec?: string): void {
    this.#attach(sender, { direction: "send", kind, codec });
  }

  /** Decrypt what `receiver` receives; frames that do not decrypt are dropped. */
  protectReceiver(receiver: RTCRtpReceiver, kind: MediaKind, codec?: string): void {
    this.#attach(receiver, { direction: "receive", kind, codec });
  }

  /** The worker's counters. */
  stats(): Promise<SFrameStats> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const onMessage = (e: MessageEvent<{ t: string; id: number; stats: SFrameStats }>) => {
        if (e.data.t !== "stats" || e.data.id !== id) return;
        this.#worker.removeEventListener("message", onMessage);
        resolve(e.data.stats);
      };
      this.#worker.addEventListener("message", onMessage);
      this.#post({ t: "stats", id });
    });
  }

  #attach(target: RTCRtpSender | RTCRtpReceiver, options: SFrameTransformOptions): void {
    if (this.mode === "script-transform") {
      target.transform = new RTCRtpScriptTransform(this.#worker, options);
      return;
    }
    const { readable, writable } = (target as unknown as Required<WithEncodedStreams>).createEncodedStreams();
    this.#worker.postMessage({ t: "streams", readable, writable, options } satisfies SFrameWorkerCommand, [readable, writable] as unknown as Transferable[]);
  }

  #post(m: SFrameWorkerCommand): void {
    this.#worker.postMessage(m);
  }
}
