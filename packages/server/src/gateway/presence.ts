/**
 * Presence: who is online, across devices and nodes, and who is told.
 *
 * - Each node computes, per user, the aggregate of ITS connections (online if
 *   any is online, away if all are away, offline when none is left) and
 *   publishes it on "user.presence" only when it changes.
 * - Every node keeps every node's contribution per user; a user's status is
 *   the aggregate over nodes. Each node also publishes its whole contribution
 *   every heartbeat ("presence.heartbeat"): a node started later learns the
 *   others' users from it, a lost message is repaired by the next one, and a
 *   node not heard of for PRESENCE_NODE_TTL_MS is dead — its contributions
 *   are dropped (its users go offline unless connected elsewhere).
 * - Nobody is told about everybody: a connection watches the users it shows
 *   (`presence.watch`, at most DEFAULT_LIMITS.presenceWatch); changes of
 *   watched users are collected and sent as one `presence.users` frame per
 *   watcher per flush.
 *
 * This file is the state (no I/O); presence-sync.ts runs it on the bus.
 */
import type { PresenceStatus } from "@parley/protocol";
import type { BusTopics } from "../platform/bus/bus.ts";
import type { Conn } from "./connection.ts";

type Active = "online" | "away";

interface UserPresence {
  orgId: string;
  /** node -> that node's aggregate for the user. */
  nodes: Map<string, Active>;
  status: PresenceStatus;
}

export interface PresenceState {
  /** This node's id (its own contributions never expire). */
  node: string;
  /** Users that are online or away on some node. */
  users: Map<string, UserPresence>;
  /** node -> users it contributes (to drop them when it dies or forgets them). */
  byNode: Map<string, Set<string>>;
  /** node -> when we last heard from it (ms). */
  seen: Map<string, number>;
  /** What this node last published per user (its own aggregate). */
  local: Map<string, { orgId: string; status: Active }>;
  /** userId -> connections (of this node) watching them. */
  watchers: Map<string, Set<Conn>>;
  /** Changes of watched users not yet sent (the latest status wins). */
  changed: Map<string, { orgId: string; status: PresenceStatus }>;
  /** This node's heartbeats so far (numbers its beats). */
  beats: number;
  /** node -> the beat whose parts are arriving: which parts came, and the users they listed. */
  partial: Map<string, { beat: number; parts: Set<number>; listed: Set<string> }>;
}

export function newPresenceState(node: string): PresenceState {
  return {
    node,
    users: new Map(),
    byNode: new Map(),
    seen: new Map(),
    local: new Map(),
    watchers: new Map(),
    changed: new Map(),
    beats: 0,
    partial: new Map(),
  };
}

function aggregate(values: Iterable<Active>): PresenceStatus {
  let status: PresenceStatus = "offline";
  for (const s of values) {
    if (s === "online") return "online";
    status = "away";
  }
  return status;
}

/** A user's aggregate right now, as a member of `orgId` sees it (another org's users are always offline). */
export function statusOf(state: PresenceState, userId: string, orgId: string): PresenceStatus {
  const up = state.users.get(userId);
  return up && up.orgId === orgId ? up.status : "offline";
}

/** Set one node's contribution for a user; records a change for watchers. Returns the new aggregate if it changed, else null. */
function applyNodeStatus(state: PresenceState, orgId: string, userId: string, node: string, status: PresenceStatus): PresenceStatus | null {
  let up = state.users.get(userId);
  if (!up) {
    if (status === "offline") return null;
    state.users.set(userId, (up = { orgId, nodes: new Map(), status: "offline" }));
  }
  // A user id belongs to one org: a message naming another org for it is ignored.
  if (up.orgId !== orgId) return null;
  let mine = state.byNode.get(node);
  if (status === "offline") {
    up.nodes.delete(node);
    mine?.delete(userId);
  } else {
    up.nodes.set(node, status);
    if (!mine) state.byNode.set(node, (mine = new Set()));
    mine.add(userId);
  }
  if (mine?.size === 0) state.byNode.delete(node);
  const next = aggregate(up.nodes.values());
  if (next === "offline") state.users.delete(userId);
  if (next === up.status) return null;
  up.status = next;
  if (state.watchers.has(userId)) state.changed.set(userId, { orgId, status: next });
  return next;
}

/** A "user.presence" message from any node (this one included). */
export function applyPresence(state: PresenceState, msg: BusTopics["user.presence"], now: number): PresenceStatus | null {
  if (msg.node !== state.node) state.seen.set(msg.node, now);
  return applyNodeStatus(state, msg.orgId, msg.userId, msg.node, msg.status);
}

/**
 * This node's aggregate for a user from its connections; returns the message
 * to publish when it differs from what was published last (else null).
 */
export function localChange(state: PresenceState, orgId: string, userId: string, conns: Iterable<Conn> | undefined): BusTopics["user.presence"] | null {
  let seen = false;
  let online = false;
  for (const c of conns ?? []) {
    if (c.closing || c.principal === null) continue;
    seen = true;
    // The status this connection last published (changes are throttled per connection).
    if (c.presencePublished === "online") {
      online = true;
      break;
    }
  }
  const status: PresenceStatus = online ? "online" : seen ? "away" : "offline";
  const before = state.local.get(userId)?.status ?? "offline";
  if (status === before) return null;
  if (status === "offline") state.local.delete(userId);
  else state.local.set(userId, { orgId, status });
  return { orgId, userId, node: state.node, status };
}

/**
 * Users per heartbeat message: an entry is two ids and a status (~70 bytes of JSON), so a part stays
 * near 300 KB, far below NATS's 1 MiB payload limit (a node of 16,000 users once exceeded it in one message).
 */
export const HEARTBEAT_PART_USERS = 4_000;

/** This node's heartbeat: every user it has a connection of, with its aggregate, in parts of at most `perPart` users. */
export function heartbeat(state: PresenceState, perPart = HEARTBEAT_PART_USERS): Array<BusTopics["presence.heartbeat"]> {
  const users: Array<[string, string, Active]> = [];
  for (const [userId, { orgId, status }] of state.local) users.push([orgId, userId, status]);
  const parts = Math.max(1, Math.ceil(users.length / perPart));
  const beat = ++state.beats;
  return Array.from({ length: parts }, (_, part) => ({ node: state.node, beat, part, parts, users: users.slice(part * perPart, (part + 1) * perPart) }));
}

/**
 * Another node's heartbeat replaces what we hold of it. Each part adds what it lists; once every part
 * of a beat arrived, users of that node no part listed go. A beat with a part lost (or overtaken by
 * the next beat) removes nobody: the next whole beat does.
 */
export function applyHeartbeat(state: PresenceState, msg: BusTopics["presence.heartbeat"], now: number): void {
  if (msg.node === state.node) return;
  state.seen.set(msg.node, now);
  const parts = msg.parts ?? 1;
  // A beat in parts collects what its parts list; a whole beat (one message) needs no record.
  let p = parts > 1 ? state.partial.get(msg.node) : undefined;
  if (parts > 1 && (!p || p.beat !== msg.beat)) state.partial.set(msg.node, (p = { beat: msg.beat ?? 0, parts: new Set(), listed: new Set() }));
  p?.parts.add(msg.part ?? 0);
  const listed = p?.listed ?? new Set<string>();
  for (const [orgId, userId, status] of msg.users) {
    listed.add(userId);
    applyNodeStatus(state, orgId, userId, msg.node, status);
  }
  if (p) {
    if (p.parts.size < parts) return;
    state.partial.delete(msg.node);
  }
  for (const userId of [...(state.byNode.get(msg.node) ?? [])]) {
    if (listed.has(userId)) continue;
    const up = state.users.get(userId);
    if (up) applyNodeStatus(state, up.orgId, userId, msg.node, "offline");
  }
}

/** Drop the contributions of nodes not heard of for `ttlMs`; returns the nodes dropped. */
export function expireNodes(state: PresenceState, now: number, ttlMs: number): string[] {
  const dead: string[] = [];
  for (const [node, at] of state.seen) {
    if (now - at <= ttlMs) continue;
    dead.push(node);
    state.seen.delete(node);
    state.partial.delete(node);
    for (const userId of [...(state.byNode.get(node) ?? [])]) {
      const up = state.users.get(userId);
      if (up) applyNodeStatus(state, up.orgId, userId, node, "offline");
    }
    state.byNode.delete(node);
  }
  return dead;
}

/** Replace a connection's watch set (any ids: only changes of users of its own org reach it, takeChanges). */
export function setWatch(state: PresenceState, c: Conn, userIds: readonly string[]): void {
  unwatch(state, c);
  c.watching = userIds.length > 0 ? userIds : null;
  for (const userId of userIds) {
    let set = state.watchers.get(userId);
    if (!set) state.watchers.set(userId, (set = new Set()));
    set.add(c);
  }
}

/** Forget a connection's watch set (on close, or before a new one). */
export function unwatch(state: PresenceState, c: Conn): void {
  for (const userId of c.watching ?? []) {
    const set = state.watchers.get(userId);
    if (!set) continue;
    set.delete(c);
    if (set.size === 0) state.watchers.delete(userId);
  }
  c.watching = null;
}

/** The pending changes grouped per watching connection of the user's org (and cleared). */
export function takeChanges(state: PresenceState): Map<Conn, Array<{ userId: string; status: PresenceStatus }>> {
  const out = new Map<Conn, Array<{ userId: string; status: PresenceStatus }>>();
  for (const [userId, { orgId, status }] of state.changed) {
    for (const c of state.watchers.get(userId) ?? []) {
      if (c.principal?.orgId !== orgId) continue;
      let list = out.get(c);
      if (!list) out.set(c, (list = []));
      list.push({ userId, status });
    }
  }
  state.changed.clear();
  return out;
}
