/**
 * A recording taken at the SFU, for the tests that prove call media is end-to-end encrypted:
 * the test (never the product) turns on Janus VideoRoom recording for one call's room through
 * Janus's own API, and reads back the `.mjr` files Janus writes — the RTP packets exactly as the
 * SFU received them from each publisher — then reassembles the encoded frames (VP8 and Opus).
 *
 * The `.mjr` layout (Janus src/record.c, "MJR00002"): the 8-byte magic; once the first packet
 * arrives a big-endian u16 length and a JSON header (`t` a/v/d, `c` codec, `s` created and `u`
 * first-packet wall time in µs, `e: true` when the publisher declared end-to-end encryption);
 * then per packet "MEET", a u32 of milliseconds since the first packet, a u16 length and the RTP
 * packet (its sequence number, timestamp and SSRC rewritten by the recorder to run on).
 */
import fs from "node:fs";
import path from "node:path";
import Janode from "janode";
import VideoRoomPlugin from "janode/plugins/videoroom";

/** What Janus says about a recording in its JSON header. */
export interface MjrInfo {
  /** "a" audio, "v" video, "d" data. */
  t: string;
  /** Codec name, e.g. "vp8", "opus". */
  c: string;
  /** Wall-clock time of the first packet, µs. */
  u: number;
  /** Janus marked the stream as end-to-end encrypted. */
  e?: boolean;
}

/** One recorded RTP packet. */
export interface RecordedRtp {
  payloadType: number;
  marker: boolean;
  seq: number;
  timestamp: number;
  /** RTP payload (header, extensions and padding removed). */
  payload: Uint8Array;
  /** Wall-clock time the SFU received it, ms. */
  at: number;
}

/** One `.mjr` file: its header (absent when no packet was ever written) and packets. */
export interface Recording {
  file: string;
  /** Participant (feed) id from Janus's file name `videoroom-<room>-user-<feed>-<time>-<media>-<mindex>.mjr`. */
  feed: string;
  info: MjrInfo | undefined;
  packets: RecordedRtp[];
}

/** An encoded frame put together from its RTP packets, as the receiver's depacketizer would. */
export interface RecordedFrame {
  data: Uint8Array;
  /** VP8: a key frame (frame tag's P bit 0); audio frames: false. */
  keyFrame: boolean;
  /** When the SFU received its last packet, ms. */
  at: number;
}

/** Janus's API, as the test reaches it (the VideoRoom handle's raw `message`). */
interface RawHandle {
  message(body: Record<string, unknown>): Promise<unknown>;
}

/**
 * Make Janus record the call's room into `dir` from now on (a VideoRoom `edit` with
 * `new_rec_dir`, then `enable_recording`), or stop (`record: false`, which closes and flushes
 * the files). Needs the room's secret; retries while the room is not made yet.
 */
export async function recordRoom(janus: { url: string; apiSecret: string }, room: string, secret: string, record: { dir: string } | false): Promise<void> {
  const c = await Janode.connect({ address: { url: janus.url, apisecret: janus.apiSecret }, max_retries: 1, retry_time_secs: 1 });
  try {
    const h = (await (await c.create()).attach(VideoRoomPlugin)) as unknown as RawHandle;
    for (let attempt = 0; ; attempt++) {
      try {
        if (record) await h.message({ request: "edit", room, secret, new_rec_dir: record.dir });
        await h.message({ request: "enable_recording", room, secret, record: !!record });
        return;
      } catch (err) {
        if (attempt > 100) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    await c.close();
  }
}

function rtp(b: Uint8Array, at: number): RecordedRtp | undefined {
  if (b.length < 12 || b[0]! >> 6 !== 2) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let start = 12 + 4 * (b[0]! & 0x0f);
  if (b[0]! & 0x10) {
    if (b.length < start + 4) return undefined;
    start += 4 + 4 * view.getUint16(start + 2);
  }
  const end = b[0]! & 0x20 ? b.length - b[b.length - 1]! : b.length;
  if (end < start) return undefined;
  return { payloadType: b[1]! & 0x7f, marker: (b[1]! & 0x80) !== 0, seq: view.getUint16(2), timestamp: view.getUint32(4), payload: b.subarray(start, end), at };
}

/** Read one `.mjr` file. */
export function readMjr(file: string): Recording {
  const buf = new Uint8Array(fs.readFileSync(file));
  const text = (a: number, n: number) => Buffer.from(buf.subarray(a, a + n)).toString("latin1");
  if (text(0, 8) !== "MJR00002") throw new Error(`${file}: not an MJR00002 recording`);
  const feed = /-user-(.+)-\d+-(?:audio|video|data)-\d+\.mjr$/.exec(path.basename(file))?.[1] ?? "";
  if (buf.length < 10) return { file, feed, info: undefined, packets: [] };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const infoLen = view.getUint16(8);
  const info = JSON.parse(text(10, infoLen)) as MjrInfo;
  const packets: RecordedRtp[] = [];
  for (let off = 10 + infoLen; off + 10 <= buf.length;) {
    if (text(off, 4) !== "MEET") throw new Error(`${file}: no packet header at byte ${off}`);
    const ms = view.getUint32(off + 4);
    const len = view.getUint16(off + 8);
    if (off + 10 + len > buf.length) break;
    const p = rtp(buf.subarray(off + 10, off + 10 + len), info.u / 1000 + ms);
    if (p && p.payload.length > 0) packets.push(p);
    off += 10 + len;
  }
  return { file, feed, info, packets };
}

/** Every recording Janus wrote into `dir`. */
export function readRecordings(dir: string): Recording[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".mjr"))
    .map((f) => readMjr(path.join(dir, f)));
}

/** Packets in sequence order (16-bit wrap unrolled), retransmitted duplicates dropped. */
function inOrder(packets: RecordedRtp[]): Array<RecordedRtp & { n: number }> {
  let last: number | undefined;
  let n = 0;
  const seen = new Map<number, RecordedRtp & { n: number }>();
  for (const p of packets) {
    if (last === undefined) n = p.seq;
    else n += ((p.seq - last + 0x18000) % 0x10000) - 0x8000;
    last = p.seq;
    if (!seen.has(n)) seen.set(n, { ...p, n });
  }
  return [...seen.values()].sort((a, b) => a.n - b.n);
}

/** The VP8 payload descriptor (RFC 7741 §4.2): start-of-partition, partition index, its length. */
function vp8Descriptor(p: Uint8Array): { start: boolean; partition: number; length: number } | undefined {
  let i = 1;
  if (p[0]! & 0x80) {
    const x = p[i++]!;
    if (x & 0x80) i += p[i]! & 0x80 ? 2 : 1;
    if (x & 0x40) i++;
    if (x & 0x30) i++;
  }
  return i < p.length ? { start: (p[0]! & 0x10) !== 0, partition: p[0]! & 0x07, length: i } : undefined;
}

/**
 * The complete VP8 frames of a video recording: packets of one RTP timestamp in an unbroken
 * sequence run from a start of partition 0 to the marker bit, descriptors stripped. Frames with
 * a lost packet are left out.
 */
export function vp8Frames(r: Recording): RecordedFrame[] {
  const frames: RecordedFrame[] = [];
  let parts: Uint8Array[] = [];
  let prev: (RecordedRtp & { n: number }) | undefined;
  for (const p of inOrder(r.packets)) {
    const d = vp8Descriptor(p.payload);
    const continues = prev && parts.length > 0 && p.timestamp === prev.timestamp && p.n === prev.n + 1;
    if (d?.start && d.partition === 0) parts = [p.payload.subarray(d.length)];
    else if (d && continues) parts.push(p.payload.subarray(d.length));
    else parts = [];
    prev = p;
    if (p.marker && parts.length > 0) {
      const data = new Uint8Array(parts.reduce((s, x) => s + x.length, 0));
      let o = 0;
      for (const x of parts) {
        data.set(x, o);
        o += x.length;
      }
      frames.push({ data, keyFrame: (data[0]! & 0x01) === 0, at: p.at });
      parts = [];
    }
  }
  return frames;
}

/** The Opus frames of an audio recording: one per RTP packet. */
export function opusFrames(r: Recording): RecordedFrame[] {
  return inOrder(r.packets).map((p) => ({ data: p.payload, keyFrame: false, at: p.at }));
}
