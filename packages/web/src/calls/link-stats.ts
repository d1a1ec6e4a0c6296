/** The figures of a call's media link (getStats and the SFrame worker's counters), shared by the 1:1 and group media. */
import type { SFrameStats } from "./sframe-transform.ts";

/** Decoding figures of the link (getStats), for the UI's quality line and the tests. */
export interface LinkStats {
  framesDecoded: number;
  screenFramesDecoded: number;
  totalAudioEnergy: number;
  /** The selected candidate pair's local type ("relay": through TURN). */
  localCandidateType: string | undefined;
  roundTripTime: number | undefined;
  /** Inbound RTP packets received and lost so far, all streams (the quality line's loss). */
  packetsReceived: number;
  packetsLost: number;
  sframe: SFrameStats;
}

/** Figures with nothing counted yet. */
export function emptyLinkStats(sframe: SFrameStats): LinkStats {
  return {
    framesDecoded: 0,
    screenFramesDecoded: 0,
    totalAudioEnergy: 0,
    localCandidateType: undefined,
    roundTripTime: undefined,
    packetsReceived: 0,
    packetsLost: 0,
    sframe,
  };
}

/**
 * The candidate pair the connection sends on: the transport's selected pair (a pair stays
 * selected while its checks are re-run, when `state` may not read "succeeded"), else a
 * nominated pair that succeeded.
 */
function selectedPair(report: RTCStatsReport): Record<string, unknown> | undefined {
  let pair: Record<string, unknown> | undefined;
  report.forEach((s: Record<string, unknown>) => {
    if (s.type === "transport" && typeof s.selectedCandidatePairId === "string") pair ??= report.get(s.selectedCandidatePairId) as Record<string, unknown>;
  });
  report.forEach((s: Record<string, unknown>) => {
    if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") pair ??= s;
  });
  return pair;
}

/** The selected pair's round trip (s) and local candidate type ("relay": through TURN) into the figures. */
export function readSelectedPair(out: LinkStats, report: RTCStatsReport): void {
  const pair = selectedPair(report);
  if (!pair) return;
  out.roundTripTime = pair.currentRoundTripTime as number | undefined;
  out.localCandidateType = (report.get(pair.localCandidateId as string) as { candidateType?: string } | undefined)?.candidateType;
}

/** Add an inbound-rtp report's packet counters to the figures. */
export function countPackets(out: LinkStats, s: Record<string, unknown>): void {
  out.packetsReceived += Number(s.packetsReceived ?? 0);
  out.packetsLost += Math.max(0, Number(s.packetsLost ?? 0));
}
