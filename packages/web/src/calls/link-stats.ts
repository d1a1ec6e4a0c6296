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

/** Add an inbound-rtp report's packet counters to the figures. */
export function countPackets(out: LinkStats, s: Record<string, unknown>): void {
  out.packetsReceived += Number(s.packetsReceived ?? 0);
  out.packetsLost += Math.max(0, Number(s.packetsLost ?? 0));
}
