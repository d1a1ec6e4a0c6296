/** The actor of an audit entry, from the command's {@link Actor}. */
import type { Actor } from "../../core/actor.ts";
import type { AuditEntryInput } from "./types.ts";

/** The system (offline admin, the server's own work), or a user's device. */
export function auditActor(a: Actor): AuditEntryInput["actor"] {
  return a.kind === "system" ? { kind: "system" } : { kind: "device", id: a.userId, deviceId: a.deviceId };
}
