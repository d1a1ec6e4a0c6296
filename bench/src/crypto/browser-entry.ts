// Runs inside a dedicated Web Worker in chromium (bundled by browser-provider.ts): the
// same four application-message configurations as provider.ts, with the browser's
// platform provider (provider-web.ts) in place of node:crypto, plus per-primitive timings
// that justify which operations provider-web.ts gives to @noble and which to WebCrypto.
import { gcm } from "@noble/ciphers/aes.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { webCryptoProvider } from "../../../packages/crypto/src/provider-web.ts";
import { rawThroughput, wrapperThroughput } from "./throughput.ts";

const CONFIGS: Record<string, (n: number) => Promise<number>> = {
  "raw ts-mls, default provider": (n) => rawThroughput(n),
  "@parley/crypto, reference provider": (n) => wrapperThroughput(n, "reference"),
  "@parley/crypto, web provider": (n) => wrapperThroughput(n, "platform"),
  "raw ts-mls, web provider": (n) => rawThroughput(n, webCryptoProvider),
};

const subtle = crypto.subtle;
const rnd = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/** Microseconds per call of `f` (async or not), after a warm-up. */
async function perCall(n: number, f: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(20, n); i++) await f();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await f();
  return Math.round((((performance.now() - t0) * 1000) / n) * 10) / 10;
}

/** Per-primitive µs per call: every primitive once per round, 5 rounds, median of each. */
async function primitives(): Promise<Record<string, number>> {
  const key = rnd(32),
    data = rnd(64),
    big = rnd(64 * 1024),
    aesKey = rnd(16),
    iv = rnd(12),
    pt = rnd(200);
  // WebCrypto takes ArrayBuffer-backed views; noble's outputs are typed more loosely.
  const seed = ed25519.utils.randomSecretKey() as Uint8Array<ArrayBuffer>;
  const pub = ed25519.getPublicKey(seed) as Uint8Array<ArrayBuffer>;
  const msg = rnd(300);
  const sig = ed25519.sign(msg, seed) as Uint8Array<ArrayBuffer>;
  const pkcs8 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, ...seed]);
  const signKey = await subtle.importKey("pkcs8", pkcs8, "Ed25519", false, ["sign"]);
  const verifyKey = await subtle.importKey("raw", pub, "Ed25519", false, ["verify"]);
  const macKey = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const gcmKey = await subtle.importKey("raw", aesKey, "AES-GCM", false, ["encrypt"]);
  const importMac = () => subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const importGcm = () => subtle.importKey("raw", aesKey, "AES-GCM", false, ["encrypt"]);
  const cases: [string, number, () => unknown][] = [
    ["HMAC-SHA256 64 B, noble", 2000, () => hmac(sha256, key, data)],
    ["HMAC-SHA256 64 B, WebCrypto importKey + sign", 1000, async () => subtle.sign("HMAC", await importMac(), data)],
    ["HMAC-SHA256 64 B, WebCrypto cached key", 1000, () => subtle.sign("HMAC", macKey, data)],
    ["SHA-256 64 B, noble", 2000, () => sha256(data)],
    ["SHA-256 64 B, WebCrypto", 1000, () => subtle.digest("SHA-256", data)],
    ["SHA-256 64 KiB, noble", 30, () => sha256(big)],
    ["SHA-256 64 KiB, WebCrypto", 100, () => subtle.digest("SHA-256", big)],
    ["AES-128-GCM 200 B, noble", 1000, () => gcm(aesKey, iv).encrypt(pt)],
    ["AES-128-GCM 200 B, WebCrypto importKey + encrypt", 1000, async () => subtle.encrypt({ name: "AES-GCM", iv }, await importGcm(), pt)],
    ["AES-128-GCM 200 B, WebCrypto cached key", 1000, () => subtle.encrypt({ name: "AES-GCM", iv }, gcmKey, pt)],
    ["AES-128-GCM 64 KiB, noble", 10, () => gcm(aesKey, iv).encrypt(big)],
    ["AES-128-GCM 64 KiB, WebCrypto importKey + encrypt", 100, async () => subtle.encrypt({ name: "AES-GCM", iv }, await importGcm(), big)],
    ["Ed25519 sign, noble", 50, () => ed25519.sign(msg, seed)],
    [
      "Ed25519 sign, WebCrypto importKey + sign",
      300,
      async () => subtle.sign("Ed25519", await subtle.importKey("pkcs8", pkcs8, "Ed25519", false, ["sign"]), msg),
    ],
    ["Ed25519 sign, WebCrypto cached key", 300, () => subtle.sign("Ed25519", signKey, msg)],
    ["Ed25519 verify, noble", 30, () => ed25519.verify(sig, msg, pub)],
    [
      "Ed25519 verify, WebCrypto importKey + verify",
      300,
      async () => subtle.verify("Ed25519", await subtle.importKey("raw", pub, "Ed25519", false, ["verify"]), sig, msg),
    ],
    ["Ed25519 verify, WebCrypto cached key", 300, () => subtle.verify("Ed25519", verifyKey, sig, msg)],
  ];
  const got: Record<string, number[]> = Object.fromEntries(cases.map(([name]) => [name, []]));
  for (let r = 0; r < 5; r++) for (const [name, n, f] of cases) got[name]!.push(await perCall(n, f));
  return Object.fromEntries(Object.entries(got).map(([k, v]) => [k, v.sort((a, b) => a - b)[2]!]));
}

interface Job {
  messages: number;
  rounds: number;
}

self.onmessage = async (e: MessageEvent<Job>) => {
  try {
    const { messages, rounds } = e.data;
    const names = Object.keys(CONFIGS);
    for (const n of names) await CONFIGS[n]!(100); // warm-up
    const runs: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < names.length; i++) {
        const n = names[(i + r) % names.length]!;
        runs[n]!.push(Math.round(await CONFIGS[n]!(messages)));
      }
    }
    postMessage({ ok: true, runs, primitives: await primitives(), userAgent: navigator.userAgent });
  } catch (err) {
    postMessage({ ok: false, error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
  }
};
