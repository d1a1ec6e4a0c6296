/**
 * Presence aggregated per user across all their connections (on every node):
 * online if any connection is online, away if all are away, offline when none
 * is left. Each node keeps the same table from the "user.presence" bus topic,
 * so `presence` frames go out only when a user's aggregate changes.
 */
import type { PresenceStatus } from "@parley/protocol";
import type { BusTopics } from "../platform/bus/bus.ts";

interface UserPresence {
  orgId: string;
  /** `${node}:${connectionId}` -> that connection's status. */
  conns: Map<string, "online" | "away">;
  status: PresenceStatus;
}

export interface PresenceState {
  byUser: Map<string, UserPresence>;
  /** orgId -> userId -> aggregate (only users that are not offline). */
  byOrg: Map<string, Map<string, PresenceStatus>>;
}

export function newPresenceState(): PresenceState {
  return { byUser: new Map(), byOrg: new Map() };
}

function aggregate(conns: Map<string, "online" | "away">): PresenceStatus {
  if (conns.size === 0) return "offline";
  for (const s of conns.values()) if (s === "online") return "online";
  return "away";
}

/** Apply one connection's change; returns the user's new aggregate if it changed, else null. */
export function applyPresence(state: PresenceState, msg: BusTopics["user.presence"]): PresenceStatus | null {
  const key = `${msg.node}:${msg.connectionId}`;
  let up = state.byUser.get(msg.userId);
  if (!up) {
    if (msg.status === "offline") return null;
    state.byUser.set(msg.userId, (up = { orgId: msg.orgId, conns: new Map(), status: "offline" }));
  }
  if (msg.status === "offline") up.conns.delete(key);
  else up.conns.set(key, msg.status);
  const next = aggregate(up.conns);
  if (next === up.status) return null;
  up.status = next;
  let org = state.byOrg.get(up.orgId);
  if (next === "offline") {
    state.byUser.delete(msg.userId);
    org?.delete(msg.userId);
    if (org?.size === 0) state.byOrg.delete(up.orgId);
  } else {
    if (!org) state.byOrg.set(up.orgId, (org = new Map()));
    org.set(msg.userId, next);
  }
  return next;
}

/** Users of an org who are online or away right now. */
export function orgPresence(state: PresenceState, orgId: string): Iterable<[string, PresenceStatus]> {
  return state.byOrg.get(orgId) ?? [];
}
