/**
 * Live fan-out: one bus subscription per topic per gateway (not per
 * connection). Each message is serialised and framed once, then written to
 * the connections the registry names. Modules declare their realtime kinds
 * (topic, audience, frame) in their `events.ts`; the gateway itself acts on
 * membership and revocation messages (presence: presence-sync.ts).
 */
import { CLOSE_CODES } from "@parley/protocol";
import type { RealtimeRoute } from "../core/realtime.ts";
import { REALTIME_ROUTES } from "../core/bus-keys.ts";
import { REVOKED_TOPIC } from "../modules/accounts/events.ts";
import { DEVICE_OFFLINE_TOPIC } from "../modules/calls/events.ts";
import { markSeen } from "./presence-sync.ts";
import { MEMBERS_TOPIC } from "../modules/channels/events.ts";
import { PENDING_EPHEMERAL, PENDING_EVENT, PENDING_USER } from "./connection.ts";
import type { GatewayCore } from "./core.ts";
import type { BusTopics, Topic } from "../platform/bus/bus.ts";
import { fanout, joinChannel, leaveChannel, textFrame } from "./registry.ts";
import type { Conn } from "./connection.ts";
import { policyAllowsRead, refreshConnAccess, renewIdentities } from "./channel-policy.ts";
import { ACCESS_TOPIC, IDENTITY_TOPIC } from "../modules/access/events.ts";
import { refreshOrgAccess } from "../modules/access/org-access.ts";

/** Every module's realtime routes. */
const ROUTES: readonly RealtimeRoute[] = REALTIME_ROUTES;
/**
 * The gateway receives only messages keyed by a channel, user or org it has connections for
 * (the registry declares that interest to the bus), and node-wide ones.
 */
const SCOPED = { scoped: true } as const;

const PENDING = { event: PENDING_EVENT, user: PENDING_USER, ephemeral: PENDING_EPHEMERAL } as const;

function subscribeRoute(core: GatewayCore, route: RealtimeRoute): () => void {
  const { registry, fan } = core;
  const { metrics } = core.deps;
  return core.deps.bus.subscribe(
    route.topic,
    (m) => {
      const to = route.audience(m);
      const set = "channelId" in to ? registry.byChannel.get(to.channelId) : "userId" in to ? registry.byUser.get(to.userId) : registry.byOrg.get(to.orgId);
      if (!set) return;
      const frame = textFrame(route.frame(m));
      const channelId = route.kind === "event" && "channelId" in to ? to.channelId : null;
      // A channel's frames (events, typing, receipts) reach only connections an org policy lets read it.
      // One device's frames (relayed call signalling) reach only that device's sockets.
      const allow =
        "channelId" in to
          ? (c: Conn) => policyAllowsRead(c, to.channelId)
          : "deviceId" in to && to.deviceId !== undefined
            ? (c: Conn) => c.principal?.deviceId === to.deviceId
            : undefined;
      const n = fanout(
        fan,
        set,
        frame,
        PENDING[route.kind],
        channelId,
        route.seq?.(m) ?? 0,
        ("exceptUserId" in to ? to.exceptUserId : undefined) ?? null,
        allow,
      );
      if (n > 0 && route.kind === "event") {
        metrics.deliveries.inc(n);
        const at = route.committedAt?.(m);
        if (at !== undefined) metrics.fanoutLatency.observe(Math.max(0, core.deps.now() - at) / 1000);
      }
    },
    SCOPED,
  );
}

/** Subscribe the gateway to every topic it serves; returns the unsubscribe function. */
export function subscribeLive(core: GatewayCore): () => void {
  const { bus } = core.deps;
  const { registry } = core;
  const on = <T extends Topic>(topic: T, handler: (m: BusTopics[T]) => void) => bus.subscribe(topic, handler, SCOPED);
  const unsubs = [
    ...ROUTES.map((r) => subscribeRoute(core, r)),
    on(MEMBERS_TOPIC, (m) => {
      for (const [users, add] of [
        [m.added, true],
        [m.removed, false],
      ] as const) {
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
    on(ACCESS_TOPIC, (m) => {
      // Another node (or this one) changed the org's roles, policies or labels: reload, then
      // bring open connections up to date. Failing here only delays it to the next change.
      void refreshOrgAccess(core.deps, m.orgId, m.version)
        .then(() => refreshConnAccess(core, m.orgId, m.version))
        .catch((err: unknown) => core.log.error({ err, orgId: m.orgId }, "reloading the org's access state failed"));
    }),
    // A user's role or groups changed: their connections reconnect with a fresh principal.
    on(IDENTITY_TOPIC, (m) => renewIdentities(core, m)),
    // A device in a call went offline on some node: still connected here, it stays in its calls.
    on(DEVICE_OFFLINE_TOPIC, (m) => {
      const set = registry.byUser.get(m.userId);
      if (set && [...set].some((c) => c.principal!.deviceId === m.deviceId && c.principal!.orgId === m.orgId)) markSeen(core, m.deviceId, m.since + 1);
    }),
    on(REVOKED_TOPIC, (m) => {
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
  return () => {
    for (const u of unsubs) u();
  };
}
