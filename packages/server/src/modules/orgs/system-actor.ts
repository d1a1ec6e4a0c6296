/**
 * The "system" actor for offline admin (`parley admin ...` runs these
 * commands directly on the database, without a session). It acts as an
 * owner of the named org, so authorize() lets it do anything an owner may,
 * and still scopes every lookup to that org.
 *
 * Usage from the CLI: `await createInvite(deps, systemActor(org.id), { ... })`.
 */
import type { Principal } from "../../context.ts";

/** Marker id used for `created_by` and friends when the system acted. */
export const SYSTEM_USER_ID = "system";

export function systemActor(orgId: string): Principal {
  return { orgId, userId: SYSTEM_USER_ID, deviceId: SYSTEM_USER_ID, sessionId: SYSTEM_USER_ID, role: "owner" };
}

export function isSystemActor(p: Principal): boolean {
  return p.userId === SYSTEM_USER_ID;
}
