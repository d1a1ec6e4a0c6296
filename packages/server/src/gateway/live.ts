/**
 * Live fan-out: one bus subscription per topic per gateway (not per
 * connection). Each message is serialised and framed once, then written to
 * the connections the registry names.
 */
import { CLOSE_CODES } from "@parley/protocol";
import { PENDING_EPHEMERAL, PENDING_EVENT, PENDING_USER } from "./connection.ts";
import type { GatewayCore } from "./core.ts";
import { applyPresence } from "./presence.ts";
import { fanout, joinChannel, leaveChannel, textFrame } from "./registry.ts";

/** Subscribe the gateway to every topic it serves; returns the unsubscribe function. */
export function subscribeLive(core: GatewayCore): () => void {
  const { bus, metrics } = core.deps;
  const { registry, fan } = core;
  const unsubs = [
    bus.subscribe("channel.event", (m) => {
      const set = registry.byChannel.get(m.event.channelId);
      if (!set) return;
      const frame = textFrame(`{"t":"event","event":${JSON.stringify(m.event)}}`);
      const n = fanout(fan, set, frame, PENDING_EVENT, m.event.channelId, m.event.seq, null);
      if (n > 0) {
        metrics.deliveries.inc(n);
        metrics.fanoutLatency.observe(Math.max(0, core.deps.now() - m.event.createdAt) / 1000);
      }
    }),
    bus.subscribe("user.item", (m) => {
      const set = registry.byUser.get(m.userId);
      if (!set) return;
      const frame = textFrame(`{"t":"user","item":${JSON.stringify(m.item)}}`);
      fanout(fan, set, frame, PENDING_USER, null, m.item.seq, null);
    }),
    bus.subscribe("channel.typing", (m) => {
      const set = registry.byChannel.get(m.channelId);
      if (!set) return;
      const frame = textFrame(JSON.stringify({ t: "typing", channelId: m.channelId, userId: m.userId, threadRoot: m.threadRoot }));
      // Not echoed to the typist's own connections.
      fanout(fan, set, frame, PENDING_EPHEMERAL, null, 0, m.userId);
    }),
    bus.subscribe("channel.read", (m) => {
      const set = registry.byChannel.get(m.channelId);
      if (!set) return;
      // Everyone in the channel, the reader's other devices included (their unread counts follow).
      const frame = textFrame(JSON.stringify({ t: "read", channelId: m.channelId, userId: m.userId, seq: m.seq }));
      fanout(fan, set, frame, PENDING_EPHEMERAL, null, 0, null);
    }),
    bus.subscribe("user.presence", (m) => {
      const status = applyPresence(core.presence, m);
      if (status === null) return;
      const set = registry.byOrg.get(m.orgId);
      if (!set) return;
      fanout(fan, set, textFrame(JSON.stringify({ t: "presence", userId: m.userId, status })), PENDING_EPHEMERAL, null, 0, null);
    }),
    bus.subscribe("channel.members", (m) => {
      for (const [users, add] of [[m.added, true], [m.removed, false]] as const) {
        for (const userId of users) {
          const set = registry.byUser.get(userId);
          if (!set) continue;
          for (const c of set) {
            if (c.memberOps !== null) c.memberOps.push({ channelId: m.channelId, add });
            else if (add) joinChannel(registry, c, m.channelId);
            else leaveChannel(registry, c, m.channelId);
          }
        }
      }
    }),
    bus.subscribe("auth.revoked", (m) => {
      const set = registry.byUser.get(m.userId);
      if (!set) return;
      for (const c of [...set]) {
        const p = c.principal!;
        if (p.orgId !== m.orgId) continue;
        if (m.all || m.sessionIds?.includes(p.sessionId) || m.deviceIds?.includes(p.deviceId)) {
          core.log.info({ conn: c.id, user: p.userId, session: p.sessionId }, "closing revoked session");
          core.close(c, CLOSE_CODES.revoked, "revoked");
        }
      }
    }),
  ];
  return () => { for (const u of unsubs) u(); };
}
