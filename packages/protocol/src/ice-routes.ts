/**
 * ICE servers for calls (issue 14): the STUN and TURN servers a device hands to
 * RTCPeerConnection, with a time-limited TURN credential minted for it (coturn's REST API
 * shared-secret scheme). The credential relays media only; call media is end-to-end encrypted
 * (SFrame), so the relay never sees it in clear.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Timestamp } from "./models.ts";

/** One entry of RTCConfiguration.iceServers. */
export const IceServer = z.object({
  /** `stun:`, `turn:` or `turns:` URLs (RFC 7064 / 7065). */
  urls: z.array(z.string()).min(1),
  /** TURN only: `<expiry>:<opaque ref>`. */
  username: z.string().optional(),
  /** TURN only: the HMAC credential; valid until `expiresAt`. */
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

/** Route table of ICE server look-ups. */
export const iceRoutes = {
  getIceServers: route({
    method: "GET",
    path: "/calls/ice-servers",
    tag: "calls",
    auth: "user",
    noStore: true,
    summary:
      "STUN and TURN servers for a call, with a fresh time-limited TURN credential for this device (an empty list when the server has no TURN relay configured); rate limited per device",
    response: z.object({
      iceServers: z.array(IceServer),
      /** When the TURN credential stops working for new allocations (ms); null without TURN. */
      expiresAt: Timestamp.nullable(),
    }),
  }),
};
