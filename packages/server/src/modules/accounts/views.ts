/** Database rows -> protocol objects (the only place that shapes them). */
import type { Device, Org, Session, User } from "@parley/protocol";
import type { DevicesTable, OrgsTable, UsersTable } from "../../platform/db/tables.ts";

export function toOrg(r: Pick<OrgsTable, "id" | "slug" | "name" | "created_at">): Org {
  return { id: r.id, slug: r.slug, name: r.name, createdAt: Number(r.created_at) };
}

type UserRow = Pick<UsersTable, "id" | "org_id" | "username" | "display_name" | "role" | "deactivated_at" | "created_at"> &
  Partial<Pick<UsersTable, "status_text" | "avatar_version" | "email" | "kind" | "status_emoji" | "status_expires_at" | "title" | "time_zone">>;

/** Whether the row's status has ended by `now` (it then reads as none until the sweep clears it). */
export function statusExpired(r: Pick<UserRow, "status_expires_at">, now: number): boolean {
  return r.status_expires_at !== null && r.status_expires_at !== undefined && Number(r.status_expires_at) <= now;
}

/** A user as everyone in the org sees them (no email address); a status that ended by `now` is none. */
export function toUser(r: UserRow, now: number = Date.now()): User {
  const ended = statusExpired(r, now);
  return {
    id: r.id,
    orgId: r.org_id,
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    deactivated: r.deactivated_at !== null,
    createdAt: Number(r.created_at),
    statusText: ended ? null : (r.status_text ?? null),
    statusEmoji: ended ? null : (r.status_emoji ?? null),
    statusExpiresAt: ended || r.status_expires_at == null ? null : Number(r.status_expires_at),
    title: r.title ?? null,
    timeZone: r.time_zone ?? null,
    avatar: r.avatar_version ?? null,
    ...(r.kind === "service" ? { service: true } : {}),
  };
}

/** A user as they themselves and admins see them: with the email address. */
export function toUserWithEmail(r: UserRow, now: number = Date.now()): User {
  return { ...toUser(r, now), email: r.email ?? null };
}

/** A device row as the protocol shows it; `approved`: it holds an approval (ADR 0007; clients verify it themselves). */
export function toDevice(r: DevicesTable, approved: boolean, currentDeviceId?: string): Device {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    createdAt: Number(r.created_at),
    lastSeenAt: r.last_seen_at === null ? null : Number(r.last_seen_at),
    revoked: r.revoked_at !== null,
    approved,
    ...(currentDeviceId !== undefined ? { current: r.id === currentDeviceId } : {}),
  };
}

export function toSession(
  r: { id: string; device_id: string; device_name: string; created_at: number; last_used_at: number },
  currentSessionId: string,
): Session {
  return {
    id: r.id,
    deviceId: r.device_id,
    deviceName: r.device_name,
    createdAt: Number(r.created_at),
    lastUsedAt: Number(r.last_used_at),
    current: r.id === currentSessionId,
  };
}
