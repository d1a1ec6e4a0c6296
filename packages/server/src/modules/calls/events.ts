/**
 * Realtime kinds of calls (issue 14). Call state and call ends go to the channel's sockets (every
 * member sees a call as ongoing); rings go to the rung user's sockets; relayed WebRTC signalling
 * goes to one device's sockets only. State, ring and end messages come from committed commands
 * (the bus outbox); `call.signal` is published directly, like typing: it is relayed, never stored.
 * All are ephemeral: a reconnecting client fetches the active calls with `GET /calls`.
 */
import type { Call, CallChange, CallEndReason, CallKind, CallSignal, SfuFeed } from "@parley/protocol";
import { realtimeRoute } from "../../core/realtime.ts";
import { userKey, type BusKeys } from "../../platform/bus/bus.ts";

declare module "../../platform/bus/bus.ts" {
  interface BusTopics {
    /** A call of a channel changed: who is in it, their media state. */
    "call.state": { orgId: string; channelId: string; call: Call; change: CallChange };
    /** A call rings one user. */
    "call.ring": {
      orgId: string;
      userId: string;
      callId: string;
      channelId: string;
      kind: CallKind;
      fromUserId: string;
      fromDeviceId: string;
      startedAt: number;
      expiresAt: number;
    };
    /** A call ended. */
    "call.ended": { orgId: string; channelId: string; callId: string; reason: CallEndReason; endedAt: number };
    /** Signalling from one device of a call to another (relayed, never stored). */
    "call.signal": { orgId: string; userId: string; deviceId: string; callId: string; fromUserId: string; fromDeviceId: string; signal: CallSignal };
    /** The feeds published in a group call, to one device in it. */
    "call.sfu.feeds": { orgId: string; userId: string; deviceId: string; callId: string; feeds: SfuFeed[] };
    /** The SFU lost this device's sessions (restarted): publish and subscribe again. */
    "call.sfu.reconnect": { orgId: string; userId: string; deviceId: string; callId: string };
    /** Devices left a group call (or it ended): every node ends their SFU sessions (media-events.ts). */
    "call.sfu.drop": { callId: string; deviceIds: string[]; ended: boolean };
    /**
     * A device in a call lost its last connection to one node (presence.ts): a node still holding
     * a connection of it marks it seen, so the check after the grace period keeps it in its calls.
     */
    "call.device-offline": { orgId: string; userId: string; deviceId: string; since: number };
  }
}

/** The topic by name (media-events.ts subscribes to it). */
export const SFU_DROP_TOPIC = "call.sfu.drop" as const;
/** The topic by name (the gateway subscribes to it). */
export const DEVICE_OFFLINE_TOPIC = "call.device-offline" as const;

/**
 * Bus keys of the calls topics that are not frames: a drop goes to every node (rare: once per
 * departure); a device going offline to the nodes serving its user's connections.
 */
export const callsBusKeys: BusKeys<typeof SFU_DROP_TOPIC | typeof DEVICE_OFFLINE_TOPIC> = {
  "call.sfu.drop": () => "all",
  "call.device-offline": (m) => userKey(m.userId),
};

export const callsRoutes = [
  realtimeRoute({
    topic: "call.state",
    kind: "ephemeral",
    audience: (m) => ({ channelId: m.channelId }),
    frame: (m) => JSON.stringify({ t: "call.state", call: m.call, change: m.change }),
  }),
  realtimeRoute({
    topic: "call.ring",
    kind: "ephemeral",
    audience: (m) => ({ userId: m.userId }),
    frame: (m) =>
      JSON.stringify({
        t: "call.ring",
        callId: m.callId,
        channelId: m.channelId,
        kind: m.kind,
        fromUserId: m.fromUserId,
        fromDeviceId: m.fromDeviceId,
        startedAt: m.startedAt,
        expiresAt: m.expiresAt,
      }),
  }),
  realtimeRoute({
    topic: "call.ended",
    kind: "ephemeral",
    audience: (m) => ({ channelId: m.channelId }),
    frame: (m) => JSON.stringify({ t: "call.ended", callId: m.callId, channelId: m.channelId, reason: m.reason, endedAt: m.endedAt }),
  }),
  realtimeRoute({
    topic: "call.signal",
    kind: "ephemeral",
    // One device's sockets: the user's other devices never see this device's SDP or candidates.
    audience: (m) => ({ userId: m.userId, deviceId: m.deviceId }),
    frame: (m) => JSON.stringify({ t: "call.signal", callId: m.callId, fromUserId: m.fromUserId, fromDeviceId: m.fromDeviceId, signal: m.signal }),
  }),
  realtimeRoute({
    topic: "call.sfu.feeds",
    kind: "ephemeral",
    // One device's sockets: only devices in the call learn who publishes.
    audience: (m) => ({ userId: m.userId, deviceId: m.deviceId }),
    frame: (m) => JSON.stringify({ t: "call.sfu.feeds", callId: m.callId, feeds: m.feeds }),
  }),
  realtimeRoute({
    topic: "call.sfu.reconnect",
    kind: "ephemeral",
    audience: (m) => ({ userId: m.userId, deviceId: m.deviceId }),
    frame: (m) => JSON.stringify({ t: "call.sfu.reconnect", callId: m.callId }),
  }),
];
