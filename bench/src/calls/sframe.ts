/**
 * SFrame cost per media frame (issue 14): encrypt + decrypt of one frame through
 * SFrameContext (WebCrypto, as the call worker does it, one frame after the other) against a
 * plain copy of the same bytes (what the transform does with no crypto: split off the clear
 * prefix and join it back). Sizes: an Opus frame (20 ms at ~64 kbit/s = 160 B), a 1080p VP8
 * delta frame (~3 Mbit/s at 30 fps = 12.5 KB) and a 1080p key frame (150 KB). Node's
 * WebCrypto here; browsers use their own (BoringSSL in Chromium).
 *
 *   node bench/src/calls/sframe.ts [--rounds 3]
 */
import os from "node:os";
import { SFRAME_SUITES, SFrameContext, type SFrameSuiteId } from "@parley/crypto/sframe";

const roundsAt = process.argv.indexOf("--rounds");
const ROUNDS = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 3;

const FRAMES = [
  { name: "audio (Opus 20 ms, 160 B)", bytes: 160, clear: 0, n: 20_000 },
  { name: "video 1080p delta (12.5 KB)", bytes: 12_500, clear: 3, n: 4_000 },
  { name: "video 1080p key (150 KB)", bytes: 150_000, clear: 10, n: 500 },
];

function pair(suite: SFrameSuiteId) {
  const nk = suite === SFRAME_SUITES.AES_128_GCM_SHA256_128 ? 16 : 48;
  const a = new SFrameContext({ suite });
  const b = new SFrameContext({ suite });
  a.setEpoch({ epoch: 1n, baseKey: new Uint8Array(nk).fill(1), ownLeafIndex: 0 });
  b.setEpoch({ epoch: 1n, baseKey: new Uint8Array(nk).fill(1), ownLeafIndex: 1 });
  return { a, b };
}

function copyFrame(frame: Uint8Array, clear: number): Uint8Array {
  const out = new Uint8Array(frame.length);
  out.set(frame.subarray(0, clear));
  out.set(frame.subarray(clear), clear);
  return out;
}

/** Microseconds per frame of encrypt + decrypt (median of ROUNDS). */
async function sframeMicros(suite: SFrameSuiteId, bytes: number, clear: number, n: number): Promise<number> {
  const { a, b } = pair(suite);
  const frame = new Uint8Array(bytes).map((_, i) => (i * 31) & 0xff);
  const runs: number[] = [];
  // Round 0 warms up (key derivation, JIT) and is not counted.
  for (let r = 0; r <= ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const meta = frame.subarray(0, clear);
      const ct = await a.encrypt(frame.subarray(clear), meta);
      const pt = await b.decrypt(ct, meta);
      if (!pt.ok) throw new Error("decrypt failed");
    }
    if (r > 0) runs.push(((performance.now() - t0) * 1000) / n);
  }
  return runs.sort((x, y) => x - y)[Math.floor(runs.length / 2)]!;
}

function copyMicros(bytes: number, clear: number, n: number): number {
  const frame = new Uint8Array(bytes).fill(7);
  const runs: number[] = [];
  let sink = 0;
  for (let r = 0; r <= ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink += copyFrame(copyFrame(frame, clear), clear).length;
    if (r > 0) runs.push(((performance.now() - t0) * 1000) / n);
  }
  if (sink === 0) throw new Error("unreachable");
  return runs.sort((x, y) => x - y)[Math.floor(runs.length / 2)]!;
}

console.log(
  `SFrame per frame, encrypt + decrypt, median of ${ROUNDS} rounds after a warm-up; ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, node ${process.version}, load ${os.loadavg()[0]!.toFixed(2)}`,
);
console.log("| frame | plain copy µs | AES_128_GCM_SHA256_128 µs | AES_128_CTR_HMAC_SHA256_80 µs |");
console.log("|---|---|---|---|");
for (const f of FRAMES) {
  const copy = copyMicros(f.bytes, f.clear, f.n);
  const gcm = await sframeMicros(SFRAME_SUITES.AES_128_GCM_SHA256_128, f.bytes, f.clear, f.n);
  const ctr = await sframeMicros(SFRAME_SUITES.AES_128_CTR_HMAC_SHA256_80, f.bytes, f.clear, f.n);
  console.log(`| ${f.name} | ${copy.toFixed(2)} | ${gcm.toFixed(1)} | ${ctr.toFixed(1)} |`);
}
