/**
 * The people directory (issue 13): the org's users, searched by name, username or title,
 * in username order, a bounded page at a time with a keyset cursor (the last username).
 * Deactivated users only for those who manage users; another org's users never.
 */
import { sql } from "kysely";
import type { DirectoryPage } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import { actorAllows, authorize } from "../access/authorize.ts";
import { toUser, toUserWithEmail } from "./views.ts";

export interface DirectoryQuery {
  q?: string | undefined;
  cursor?: string | undefined;
  limit: number;
  includeDeactivated?: boolean;
}

export async function listDirectory(deps: Deps, p: Actor, opts: DirectoryQuery): Promise<DirectoryPage> {
  authorize(p, "org.list_users", { type: "org", orgId: p.orgId });
  const admin = actorAllows(p, "org.manage_users");
  if (opts.includeDeactivated) authorize(p, "org.manage_users", { type: "org", orgId: p.orgId });
  let q = deps.db.selectFrom("users").selectAll().where("org_id", "=", p.orgId);
  if (!opts.includeDeactivated) q = q.where("deactivated_at", "is", null);
  if (opts.cursor) q = q.where("username", ">", opts.cursor);
  if (opts.q) {
    // LIKE wildcards escaped (with an explicit ESCAPE: SQLite has no default), so "a_b" means that literally.
    const pattern = `%${opts.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or((["username", "display_name", "title"] as const).map((col) => sql<boolean>`lower(${sql.ref(col)}) like ${pattern} escape '\\'`)));
  }
  const rows = await q
    .orderBy("username")
    .limit(opts.limit + 1)
    .execute();
  const page = rows.slice(0, opts.limit);
  const now = deps.now();
  return {
    users: page.map((r) => (admin ? toUserWithEmail(r, now) : toUser(r, now))),
    nextCursor: rows.length > opts.limit ? page[page.length - 1]!.username : null,
  };
}
