/**
 * What the SFU reports, turned into frames for the devices in a call, and the teardown of a
 * departing device's SFU sessions. Runs on every node with an SFU (server.ts starts it):
 *
 * - `feeds` (a participant started or stopped publishing): `call.sfu.feeds` to each device in
 *   the call now, only for an active group call, with only the feeds of devices still in it.
 * - `reconnected` (Janus restarted or its connection came back): every session on it is gone;
 *   the call's room is made again and each device whose session this node lost and that is
 *   still in the call gets `call.sfu.reconnect` (publish and subscribe again).
 * - `call.sfu.drop` (bus, every node): devices left or were dropped from a group call (left,
 *   removed from the channel, revoked, deactivated, the call ended): the node holding their SFU
 *   sessions ends them at once, so a dropped device receives no more media.
 */
import type { Deps } from "../../context.ts";
import type { Sfu, SfuEvent } from "../../platform/sfu/types.ts";
import { feedsOf } from "./media.ts";
import { presentParticipants } from "./store.ts";

export function watchCallMedia(deps: Deps, sfu: Sfu): () => void {
  const log = deps.log.child({ module: "calls" });
  /** The last feeds frame per call (feeds and audience): the SFU reports one change on every publisher's session. */
  const lastSent = new Map<string, string>();

  const activeGroupCall = (callId: string) =>
    deps.db.selectFrom("calls").selectAll().where("id", "=", callId).where("ended_at", "is", null).where("kind", "=", "sfu").executeTakeFirst();

  async function relayFeeds(callId: string, feedIds: string[]): Promise<void> {
    const call = await activeGroupCall(callId);
    if (!call) return;
    const feeds = await feedsOf(deps, callId, feedIds);
    const present = await presentParticipants(deps.db, callId);
    const key = JSON.stringify([feeds, present.map((r) => r.device_id)]);
    if (lastSent.get(callId) === key) return;
    lastSent.set(callId, key);
    for (const r of present) {
      deps.bus.publish("call.sfu.feeds", { orgId: call.org_id, userId: r.user_id, deviceId: r.device_id, callId, feeds });
    }
  }

  async function rejoin(sessions: Array<{ callId: string; participantId: string }>): Promise<void> {
    lastSent.clear();
    const byCall = new Map<string, Set<string>>();
    for (const s of sessions) byCall.set(s.callId, (byCall.get(s.callId) ?? new Set()).add(s.participantId));
    for (const [callId, devices] of byCall) {
      const call = await activeGroupCall(callId);
      if (!call) continue;
      await sfu.ensureRoom(callId).catch((err: unknown) => log.error({ err, callId }, "SFU room not made again"));
      for (const r of await presentParticipants(deps.db, callId)) {
        if (devices.has(r.device_id)) deps.bus.publish("call.sfu.reconnect", { orgId: call.org_id, userId: r.user_id, deviceId: r.device_id, callId });
      }
    }
  }

  const onEvent = (e: SfuEvent) => {
    const done = (err: unknown) => log.error({ err, kind: e.kind }, "SFU event not relayed");
    if (e.kind === "feeds") relayFeeds(e.callId, e.feeds).catch(done);
    else if (e.kind === "reconnected") rejoin(e.sessions).catch(done);
  };
  const stopEvents = sfu.onEvent(onEvent);
  // Node-wide: the node holding a device's SFU sessions may serve none of the channel's sockets now.
  const stopDrops = deps.bus.subscribe("call.sfu.drop", (m) => {
    if (m.ended) lastSent.delete(m.callId);
    for (const deviceId of m.deviceIds) void sfu.leave(m.callId, deviceId);
  });
  return () => {
    stopEvents();
    stopDrops();
  };
}
