/**
 * Webhook signatures, both directions: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * The timestamp is inside the MAC, so a captured request cannot be replayed later with a fresh
 * one; receivers also keep the signatures they accepted until they go stale.
 */
import crypto from "node:crypto";

/** How far a signature's timestamp may be from the receiver's clock. */
export const SIGNATURE_TOLERANCE_S = 300;

/** The signature header value for `body` at `unixSeconds`. */
export function signBody(secret: string, body: string, unixSeconds: number): string {
  const mac = crypto.createHmac("sha256", secret).update(`${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${mac}`;
}

/** Why a signature was refused. */
export type SignatureFault = "signature_missing" | "signature_invalid" | "signature_stale";

/** Check a signature header; returns the fault, or the v1 MAC (the replay cache's key) when it verifies. */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  nowMs: number,
): { ok: true; mac: string; t: number } | { ok: false; fault: SignatureFault } {
  if (!header) return { ok: false, fault: "signature_missing" };
  const parts = new Map(
    header.split(",").map((p) => {
      const i = p.indexOf("=");
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get("t"));
  const mac = parts.get("v1") ?? "";
  if (!Number.isSafeInteger(t) || !/^[0-9a-f]{64}$/.test(mac)) return { ok: false, fault: "signature_invalid" };
  const expected = signBody(secret, body, t).slice(`t=${t},v1=`.length);
  if (!crypto.timingSafeEqual(Buffer.from(mac, "hex"), Buffer.from(expected, "hex"))) return { ok: false, fault: "signature_invalid" };
  if (Math.abs(nowMs / 1000 - t) > SIGNATURE_TOLERANCE_S) return { ok: false, fault: "signature_stale" };
  return { ok: true, mac, t };
}
