// The media worker of an encrypted call (ADR 0010): SFrame-encrypts outgoing encoded frames
// and decrypts incoming ones, for RTCRtpScriptTransform (the `rtctransform` event) or for the
// streams of createEncodedStreams posted to it. Keys arrive by postMessage from the page
// (sframe-transform.ts) and rotate with the channel's MLS epoch. A frame that does not
// decrypt is dropped, never passed on: the decoder sees nothing rather than garbage.
import { SFrameContext, type SFrameDropReason } from "@parley/crypto/sframe";
import { clearPrefixLength, type MediaKind } from "./frame-layout.ts";
import type { SFrameReceived, SFrameStats, SFrameWorkerCommand, SFrameTransformOptions } from "./sframe-transform.ts";

type EncodedFrame = RTCEncodedVideoFrame | RTCEncodedAudioFrame;

interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((e: MessageEvent<SFrameWorkerCommand>) => void) | null;
  onrtctransform:
    | ((
        e: Event & { transformer: { readable: ReadableStream<EncodedFrame>; writable: WritableStream<EncodedFrame>; options: SFrameTransformOptions } },
      ) => void)
    | null;
}
const scope = self as unknown as WorkerScope;

let context: SFrameContext | undefined;
const stats: Omit<SFrameStats, "epochs"> = { encrypted: 0, decrypted: 0, dropped: 0, reasons: {}, senders: {} };

/** Senders counted one by one at most (KIDs come from the network: forged ones must not grow this without bound). */
const MAX_SENDERS = 1000;
let senderCount = 0;

function sender(leafIndex: number): SFrameReceived | undefined {
  const known = stats.senders[leafIndex];
  if (known || senderCount >= MAX_SENDERS) return known;
  senderCount++;
  return (stats.senders[leafIndex] = { decrypted: 0, dropped: 0, reasons: {} });
}

function drop(reason: SFrameDropReason | "no_keys", leafIndex?: number): void {
  const one = leafIndex === undefined ? undefined : sender(leafIndex);
  for (const s of one ? [stats, one] : [stats]) {
    s.dropped++;
    s.reasons[reason] = (s.reasons[reason] ?? 0) + 1;
  }
}

function layout(frame: EncodedFrame, kind: MediaKind, codec: string | undefined): number {
  const key = kind === "video" && (frame as RTCEncodedVideoFrame).type === "key";
  const mime = (frame.getMetadata() as { mimeType?: string }).mimeType ?? codec;
  return Math.min(clearPrefixLength(kind, mime, key), frame.data.byteLength);
}

function joined(a: Uint8Array, b: Uint8Array): ArrayBuffer {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out.buffer;
}

async function encryptFrame(frame: EncodedFrame, opts: SFrameTransformOptions, out: TransformStreamDefaultController<EncodedFrame>): Promise<void> {
  if (context?.epoch === undefined) return drop("no_keys");
  const bytes = new Uint8Array(frame.data);
  const n = layout(frame, opts.kind, opts.codec);
  const clear = bytes.subarray(0, n);
  frame.data = joined(clear, await context.encrypt(bytes.subarray(n), clear));
  stats.encrypted++;
  out.enqueue(frame);
}

async function decryptFrame(frame: EncodedFrame, opts: SFrameTransformOptions, out: TransformStreamDefaultController<EncodedFrame>): Promise<void> {
  if (!context) return drop("no_keys");
  const bytes = new Uint8Array(frame.data);
  const n = layout(frame, opts.kind, opts.codec);
  const clear = bytes.subarray(0, n);
  const r = await context.decrypt(bytes.subarray(n), clear);
  if (!r.ok) return drop(r.reason, r.leafIndex);
  frame.data = joined(clear, r.plaintext);
  stats.decrypted++;
  const one = sender(r.leafIndex);
  if (one) one.decrypted++;
  out.enqueue(frame);
}

function attach(readable: ReadableStream<EncodedFrame>, writable: WritableStream<EncodedFrame>, opts: SFrameTransformOptions): void {
  const step = opts.direction === "send" ? encryptFrame : decryptFrame;
  // Frames are handled one after the other (TransformStream awaits each), which keeps the
  // counter order equal to the frame order.
  // A frame that throws is dropped, not allowed to error the stream (which would end the track).
  const transform = (f: EncodedFrame, c: TransformStreamDefaultController<EncodedFrame>) => step(f, opts, c).catch(() => drop("malformed"));
  void readable.pipeThrough(new TransformStream<EncodedFrame, EncodedFrame>({ transform })).pipeTo(writable);
}

scope.onrtctransform = (e) => attach(e.transformer.readable, e.transformer.writable, e.transformer.options);

scope.onmessage = (e) => {
  const m = e.data;
  if (m.t === "keys") {
    if (!context || context.suite !== m.suite) context = new SFrameContext({ suite: m.suite });
    context.setEpoch({ epoch: m.epoch, baseKey: m.baseKey, ownLeafIndex: m.ownLeafIndex });
  } else if (m.t === "clear") {
    context?.clear();
  } else if (m.t === "streams") {
    attach(m.readable as ReadableStream<EncodedFrame>, m.writable as WritableStream<EncodedFrame>, m.options);
  } else if (m.t === "stats") {
    scope.postMessage({ t: "stats", id: m.id, stats: { ...stats, epochs: (context?.epochs ?? []).map(Number) } satisfies SFrameStats });
  }
};
