/** Checks on the users a channel command names. */
import { AppError } from "../../core/errors.ts";
import { activeOrgUserIds, type Q } from "./store.ts";

/**
 * Every id must be an active user of the caller's org. Another org's user is
 * reported exactly like a missing one (404), so ids of other orgs leak nothing.
 */
export async function requireOrgUsers(q: Q, orgId: string, ids: string[]): Promise<void> {
  const found = await activeOrgUserIds(q, orgId, ids);
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length) throw new AppError("not_found", "user not found", { userIds: missing });
}
