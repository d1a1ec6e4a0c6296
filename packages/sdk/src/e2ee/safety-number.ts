/**
 * Safety numbers: digits two people compare out of band (read aloud, side
 * by side) to check that the server introduced no device of its own. Derived
 * from the MLS signature keys the device directory vouches for, so a server
 * that swaps a key changes the number.
 *
 * Derivation (v1): SHA-256 iterated 1024 times over
 * "parley-fingerprint/1" ‖ userId ‖ each (deviceId, key) sorted by deviceId,
 * every field length-prefixed; the first 30 bytes become six groups of five
 * digits (each 5-byte group mod 100000). A safety number of two users is
 * their two fingerprints, lower one first, so both sides see the same digits.
 */
import { ParleyError } from "../errors.ts";
import type { DeviceDirectory } from "./directory.ts";

const LABEL = "parley-fingerprint/1";
const ITERATIONS = 1024;

function lp(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + bytes.length);
  out[0] = bytes.length >> 8;
  out[1] = bytes.length & 0xff;
  out.set(bytes, 2);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A device key as the directory binds it. */
export interface FingerprintKey {
  deviceId: string;
  signaturePublicKey: Uint8Array;
}

/** 30 digits in six groups of five for `userId`'s device keys (one device or all of them). */
export async function fingerprintOf(userId: string, keys: FingerprintKey[]): Promise<string> {
  const te = new TextEncoder();
  const sorted = [...keys].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
  const input = concat([lp(te.encode(LABEL)), lp(te.encode(userId)), ...sorted.flatMap((k) => [lp(te.encode(k.deviceId)), lp(k.signaturePublicKey)])]);
  let h = new Uint8Array(await crypto.subtle.digest("SHA-256", input));
  for (let i = 1; i < ITERATIONS; i++) h = new Uint8Array(await crypto.subtle.digest("SHA-256", concat([h, input])));
  const h2 = new Uint8Array(await crypto.subtle.digest("SHA-256", concat([h, te.encode("2")])));
  const bytes = concat([h, h2]).subarray(0, 30);
  const groups: string[] = [];
  for (let g = 0; g < 6; g++) {
    let v = 0;
    for (let i = 0; i < 5; i++) v = (v * 256 + bytes[g * 5 + i]!) % 100000;
    groups.push(String(v).padStart(5, "0"));
  }
  return groups.join(" ");
}

/** The fingerprint of a user's devices (or of one) from the keys the directory vouches for; not_found when it has none. */
export async function userFingerprint(directory: Pick<DeviceDirectory, "devicesOf">, userId: string, deviceId?: string): Promise<string> {
  const keys = (await directory.devicesOf(userId)).filter((d) => deviceId === undefined || d.deviceId === deviceId);
  if (keys.length === 0) throw new ParleyError({ code: "not_found", status: 404, message: "no verified device key for this user/device" });
  return fingerprintOf(userId, keys);
}

/** The safety number of two users: both fingerprints, lower one first (the same on both sides). */
export function combineFingerprints(a: string, b: string): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}
