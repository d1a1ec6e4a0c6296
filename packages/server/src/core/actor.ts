/**
 * Who acts. Every command takes an Actor; authorization, audit entries and
 * `created_by` columns read it. Each kind is a real party — never a fake user:
 * - `device`: a user's device, signed in (a session of the user on that device);
 * - `system`: the server itself or an operator's offline admin command (`parley admin …`),
 *   acting with an owner's authority in one org.
 * Bots, service tokens, IdP/SCIM clients and MQTT devices join this union with the
 * issues that bring them.
 */
import type { OrgRole } from "@parley/protocol";

/** A user's signed-in device (one session on one device of one user in one org). */
export interface DeviceActor {
  kind: "device";
  orgId: string;
  userId: string;
  deviceId: string;
  sessionId: string;
  role: OrgRole;
  /** The org requires MFA of the user and they have none: the session may only enrol an authenticator. */
  restricted?: "mfa_enrollment";
}

/** The server or an operator's offline admin command, with an owner's authority in `orgId`. */
export interface SystemActor {
  kind: "system";
  orgId: string;
  role: "owner";
  /** What acted: "cli" (offline admin), "server" (scheduled or automatic work). */
  via: "cli" | "server";
}

export type Actor = DeviceActor | SystemActor;

/** Written where a row records who made it (`created_by`) when the system did. */
const SYSTEM_ACTOR_ID = "system";

/** The system actor of an org. */
export function systemActor(orgId: string, via: SystemActor["via"] = "cli"): SystemActor {
  return { kind: "system", orgId, role: "owner", via };
}

/** The acting user, or undefined when no user acts (the system). */
export function actingUserId(a: Actor): string | undefined {
  return a.kind === "device" ? a.userId : undefined;
}

/** What a `created_by`-style column records for this actor. */
export function actorRef(a: Actor): string {
  return a.kind === "device" ? a.userId : SYSTEM_ACTOR_ID;
}
