/**
 * Offline administration: open the server's database directly (same config
 * as `parley start`: flags, PARLEY_* env, defaults) and call the same commands
 * the HTTP routes call, as the org's system actor. Nothing is published to a
 * running server's in-process bus, so a running server learns of changes on
 * its next database read (deactivated users fail at their next token refresh).
 */
import crypto from "node:crypto";
import type { Actor, ConfigInput, Deps } from "@parley/server";
import { CliError } from "./errors.ts";

export interface Offline {
  deps: Deps;
  /** The server package, loaded on demand (client commands never pay for it). */
  server: typeof import("@parley/server");
  close(): Promise<void>;
}

/** Open the database (applying migrations, reported through `onMigration`). */
export async function openOffline(overrides: ConfigInput, env: NodeJS.ProcessEnv, onMigration?: (name: string) => void): Promise<Offline> {
  const server = await import("@parley/server");
  // Admin commands print their own results; server logs would only be noise here.
  const config = server.loadConfig({ logLevel: "silent", ...overrides }, env);
  const { deps, close } = await server.composeDeps(config, {
    log: server.createLogger(config.logLevel),
    nodeId: `cli-${crypto.randomBytes(3).toString("hex")}`,
    pgPoolSize: 2,
    // Its bus messages (revoked sessions, membership changes...) are left for the running server to publish.
    relay: "leave",
    ...(onMigration ? { onMigration } : {}),
  });
  return { deps, server, close };
}

/** The org to act on: `--org SLUG`, or the only org when there is exactly one. */
export async function resolveOrg(deps: Deps, slug: string | undefined): Promise<{ id: string; slug: string; name: string; actor: Actor }> {
  const rows = await deps.db.selectFrom("orgs").select(["id", "slug", "name"]).orderBy("created_at").execute();
  if (rows.length === 0)
    throw new CliError(
      "no_org",
      "no organisation exists in this database yet",
      "create one: parley admin bootstrap --org SLUG --org-name NAME --username U --display-name D",
    );
  const org = slug ? rows.find((r) => r.slug === slug) : rows.length === 1 ? rows[0] : undefined;
  if (!org && slug) throw new CliError("not_found", `no organisation with slug "${slug}"`, `known: ${rows.map((r) => r.slug).join(", ")}`);
  if (!org) throw new CliError("usage", "this database holds several organisations", `pick one with --org (${rows.map((r) => r.slug).join(", ")})`, 2);
  const { systemActor } = await import("@parley/server");
  return { ...org, actor: systemActor(org.id) };
}

/** A user of the org by username (deactivated users included). */
export async function resolveUser(deps: Deps, orgId: string, username: string): Promise<{ id: string; username: string }> {
  const row = await deps.db.selectFrom("users").select(["id", "username"]).where("org_id", "=", orgId).where("username", "=", username).executeTakeFirst();
  if (!row) throw new CliError("not_found", `no user "${username}" in this organisation`, "list them with `parley admin users`");
  return row;
}
