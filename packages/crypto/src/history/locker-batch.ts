// Compact encoding of a batch of history keys for the key locker (ADR 0007). Keys are
// grouped in runs of consecutive epochs of one channel generation, so 1,000 epochs of a
// channel cost their 32,000 key bytes plus one run header:
//   batch := version (1) ‖ u32 runCount ‖ run*
//   run   := u16 len ‖ channelId ‖ u32 generation ‖ u64 firstEpoch ‖ u32 count ‖ count × 32-byte HK
import { concat, equalBytes, fromUtf8, lengthPrefixed, u32, u64, utf8 } from "../bytes.ts";
import { E2eeError } from "../errors.ts";
import { HISTORY_KEY_BYTES } from "./history-key.ts";

/** One history key as the locker holds it. */
export interface LockerEntry {
  /** The channel. */
  channelId: string;
  /** Channel encryption generation (ADR 0006). */
  generation: number;
  /** MLS epoch the key belongs to. */
  epoch: bigint;
  /** The 32-byte history key. */
  hk: Uint8Array;
}

const BATCH_VERSION = 1;

function order(a: LockerEntry, b: LockerEntry): number {
  if (a.channelId !== b.channelId) return a.channelId < b.channelId ? -1 : 1;
  if (a.generation !== b.generation) return a.generation - b.generation;
  return a.epoch < b.epoch ? -1 : a.epoch > b.epoch ? 1 : 0;
}

function check(e: LockerEntry): void {
  if (e.hk.length !== HISTORY_KEY_BYTES) throw new E2eeError("bad_input", "a history key is 32 bytes");
  if (!Number.isInteger(e.generation) || e.generation < 0 || e.generation > 0xffffffff) throw new E2eeError("bad_input", "generation is not a u32");
  if (e.epoch < 0n || e.epoch > 0xffffffffffffffffn) throw new E2eeError("bad_input", "epoch is not a u64");
  if (!e.channelId) throw new E2eeError("bad_input", "empty channel id");
}

/** Internal: encodes entries (any order; exact duplicates are kept once) into a batch. */
export function encodeLockerBatch(entries: readonly LockerEntry[]): Uint8Array {
  entries.forEach(check);
  const sorted = [...entries].sort(order);
  const parts: Uint8Array[] = [];
  let runCount = 0;
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i]!;
    const keys: Uint8Array[] = [first.hk];
    let j = i + 1;
    for (; j < sorted.length; j++) {
      const e = sorted[j]!;
      const prev = sorted[j - 1]!;
      if (e.channelId !== first.channelId || e.generation !== first.generation) break;
      if (e.epoch === prev.epoch) {
        if (!equalBytes(e.hk, prev.hk)) throw new E2eeError("bad_input", "two different keys for one epoch");
        continue;
      }
      if (e.epoch !== prev.epoch + 1n) break;
      keys.push(e.hk);
    }
    parts.push(lengthPrefixed(utf8(first.channelId)), u32(first.generation), u64(first.epoch), u32(keys.length), ...keys);
    runCount++;
    i = j;
  }
  return concat(Uint8Array.of(BATCH_VERSION), u32(runCount), ...parts);
}

/** Internal: decodes a batch written by {@link encodeLockerBatch}; undefined if malformed. */
export function decodeLockerBatch(bytes: Uint8Array): LockerEntry[] | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 5 || bytes[0] !== BATCH_VERSION) return undefined;
  const runCount = view.getUint32(1);
  const out: LockerEntry[] = [];
  let o = 5;
  try {
    for (let r = 0; r < runCount; r++) {
      const len = view.getUint16(o);
      if (o + 2 + len > bytes.length) return undefined;
      const channelId = fromUtf8(bytes.subarray(o + 2, o + 2 + len));
      o += 2 + len;
      const generation = view.getUint32(o);
      const firstEpoch = view.getBigUint64(o + 4);
      const count = view.getUint32(o + 12);
      o += 16;
      if (o + count * HISTORY_KEY_BYTES > bytes.length) return undefined;
      for (let k = 0; k < count; k++, o += HISTORY_KEY_BYTES) {
        out.push({ channelId, generation, epoch: firstEpoch + BigInt(k), hk: bytes.slice(o, o + HISTORY_KEY_BYTES) });
      }
    }
  } catch {
    return undefined; // a length ran past the end (RangeError) or a channel id is not UTF-8
  }
  return o === bytes.length ? out : undefined;
}
