/**
 * The audit actor of today's principals. Interim: once commands receive an `Actor`
 * (issue 8's runCommand), entries take it from there and this mapping goes away.
 */
import type { Principal } from "../../context.ts";
import { isSystemActor } from "../orgs/system-actor.ts";
import type { AuditEntryInput } from "./types.ts";

/** A principal as the actor of an audit entry: the system actor, or the user's device. */
export function principalActor(p: Principal): AuditEntryInput["actor"] {
  return isSystemActor(p) ? { kind: "system" } : { kind: "device", id: p.userId, deviceId: p.deviceId };
}
