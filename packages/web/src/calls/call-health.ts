/**
 * How a call is doing, from two samples of its figures a few seconds apart: the network's quality
 * (packet loss over the interval and the round trip of the selected path — to the peer in a 1:1
 * call, to the SFU in a group call) and whether this device is failing to decrypt what arrives
 * (frames come in but none opens: its call keys are not the senders' — it has not caught up with
 * the channel's MLS epoch yet, or was removed). Pure: call-health.tsx polls and shows it.
 */
import type { LinkStats } from "./link-stats.ts";
import type { SFrameReceived, SFrameStats } from "./sframe-transform.ts";

export type NetworkQuality = "good" | "fair" | "poor" | "unknown";

/** Loss (fraction) and round trip (s) above which the quality is fair, then poor. */
const QUALITY_LIMITS = { fair: { loss: 0.03, rtt: 0.15 }, poor: { loss: 0.1, rtt: 0.4 } };

/** Drops that say "not the right keys" (as opposed to malformed packets or replays). */
const KEY_REASONS = ["no_keys", "unknown_epoch", "expired_epoch", "auth_failed"] as const;

/** Frames dropped for keys in one interval, none opened, before the UI says so. */
export const STALE_KEY_DROPS = 10;

export interface CallHealth {
  quality: NetworkQuality;
  /** Packet loss over the interval (0..1), undefined when nothing was expected. */
  loss: number | undefined;
  /** Round trip of the selected candidate pair in seconds, when known. */
  rtt: number | undefined;
  /** Through a TURN relay (1:1). */
  relayed: boolean;
  /** Media arrives but this device cannot decrypt any of it. */
  keysStale: boolean;
}

function keyDrops(s: SFrameReceived | undefined): number {
  return KEY_REASONS.reduce((n, r) => n + (s?.reasons[r] ?? 0), 0);
}

/** Between two readings of frame counters (all senders', or one sender's): enough frames dropped for keys, none opened. */
function keysMissing(prev: SFrameReceived | undefined, now: SFrameReceived | undefined): boolean {
  return keyDrops(now) - keyDrops(prev) >= STALE_KEY_DROPS && (now?.decrypted ?? 0) === (prev?.decrypted ?? 0);
}

/**
 * The senders (leaf indices) whose frames arrived between two readings of the SFrame counters
 * and none of which this device could open for keys: in a group call, the one tile that stays
 * dark while the others play (its sender is on an epoch this device lacks, or the reverse).
 */
export function undecryptableSenders(prev: SFrameStats, now: SFrameStats): number[] {
  return Object.keys(now.senders)
    .map(Number)
    .filter((leaf) => keysMissing(prev.senders[leaf], now.senders[leaf]));
}

/** The call's health between two samples of its figures (`prev` older). */
export function callHealth(prev: LinkStats, now: LinkStats): CallHealth {
  const lost = Math.max(0, now.packetsLost - prev.packetsLost);
  const received = Math.max(0, now.packetsReceived - prev.packetsReceived);
  const loss = lost + received > 0 ? lost / (lost + received) : undefined;
  const rtt = now.roundTripTime;
  let quality: NetworkQuality = "unknown";
  if (loss !== undefined || rtt !== undefined) {
    const l = loss ?? 0;
    const r = rtt ?? 0;
    if (l > QUALITY_LIMITS.poor.loss || r > QUALITY_LIMITS.poor.rtt) quality = "poor";
    else if (l > QUALITY_LIMITS.fair.loss || r > QUALITY_LIMITS.fair.rtt) quality = "fair";
    else quality = "good";
  }
  const keysStale = keysMissing(prev.sframe, now.sframe);
  return { quality, loss, rtt, relayed: now.localCandidateType === "relay", keysStale };
}
