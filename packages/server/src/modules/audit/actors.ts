/** The actor of an audit entry, from the command's {@link Actor}. */
import type { Actor } from "../../core/actor.ts";
import type { AuditEntryInput } from "./types.ts";

/** The system (offline admin, the server's own work), a SCIM client (by its token), an identity provider (by name), or a user's device. */
export function auditActor(a: Actor): AuditEntryInput["actor"] {
  if (a.kind === "system") return { kind: "system" };
  if (a.kind === "scim") return { kind: "scim", id: a.tokenId };
  if (a.kind === "idp") return { kind: "idp", id: a.idp };
  return { kind: "device", id: a.userId, deviceId: a.deviceId };
}
