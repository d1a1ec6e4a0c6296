/**
 * `parley admin ...`: offline administration directly on the database, as
 * the org's system actor (see offline.ts). Same --data-dir/--database-url as
 * `parley start`.
 */
import type { ParseArgsOptionsConfig } from "node:util";
import type { Deps } from "@parley/server";
import type { Device, OrgRole, User } from "@parley/protocol";
import { int, required, str, type Command, type Ctx } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { openOffline, resolveOrg, resolveUser } from "../offline.ts";
import { readPassword } from "../password.ts";
import { SERVER_FLAGS_DOC, SERVER_OPTIONS, serverConfigFromFlags } from "../server-config.ts";
import { table, when } from "../render.ts";

const ORG_OPTION: ParseArgsOptionsConfig = { org: { type: "string" } };
const DB_DOC = `Database flags (as for parley start):${SERVER_FLAGS_DOC.replace(/^\s*--port.*\n\s*--host.*\n/m, "\n")}`;

/** Open the database, run `fn`, always close. */
type Server = typeof import("@parley/server");
async function offline<T>(ctx: Ctx, fn: (deps: Deps, server: Server) => Promise<T>): Promise<T> {
  const db = await openOffline(serverConfigFromFlags(ctx.opts), ctx.env, (name) => ctx.out.note(`migrating database: applied ${name}`));
  try {
    return await fn(db.deps, db.server);
  } finally {
    await db.close();
  }
}

const ROLES: OrgRole[] = ["owner", "admin", "member", "guest"];
/** An org role named on the command line, or a usage error. */
export function role(value: string, allowed: OrgRole[] = ROLES): OrgRole {
  if (!allowed.includes(value as OrgRole)) throw new UsageError(`role must be one of ${allowed.join(", ")}, got '${value}'`);
  return value as OrgRole;
}

/** "7d", "12h", "30m", "90s" or plain seconds -> seconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!m) throw new UsageError(`--expires must look like 7d, 12h, 30m or 3600, got '${value}'`);
  return Number(m[1]) * ({ "": 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2]!]!;
}

export function userLine(u: User): string[] {
  return [u.username, u.displayName, u.role, u.deactivated ? "deactivated" : "active", u.id];
}
function deviceLine(d: Device): string[] {
  return [d.id, d.name, d.revoked ? "revoked" : d.current ? "this device" : "active", `last seen ${d.lastSeenAt ? when(d.lastSeenAt) : "never"}`];
}

const withDb = (o: ParseArgsOptionsConfig = {}): ParseArgsOptionsConfig => ({ ...SERVER_OPTIONS, ...ORG_OPTION, ...o });

export const adminCommands: Command[] = [
  {
    name: ["admin", "operator-token", "create"],
    usage: "NAME",
    min: 1,
    max: 1,
    summary: "Make a server operator token (shown once) for the operator API: list, create, suspend and restore orgs",
    details: `The token (op_…) is stored hashed; use it as Authorization: Bearer TOKEN on /api/v1/operator/…
(docs/identity.md, "Operators and tenants").
${DB_DOC}`,
    options: { ...SERVER_OPTIONS },
    async run(ctx) {
      const name = ctx.args[0];
      if (!name) throw new UsageError("admin operator-token create NAME");
      const { id, token } = await offline(ctx, (deps, server) => server.createOperatorToken(deps, name.slice(0, 80)));
      ctx.out.result({ id, name, token }, [
        `Operator token "${name}" (${id}):`,
        `  ${token}`,
        "It is shown once: store it now (a password manager, a secret store).",
      ]);
    },
  },
  {
    name: ["admin", "bootstrap"],
    usage: "--org SLUG --org-name NAME --username U --display-name D",
    summary: "Create an organisation and its owner (password from PARLEY_PASSWORD or stdin)",
    details: `Flags:
  --org SLUG            org slug used at login (lowercase letters, digits, dashes)
  --org-name NAME       org display name
  --username U          the owner's username
  --display-name D      the owner's display name
${DB_DOC}`,
    options: withDb({ "org-name": { type: "string" }, username: { type: "string" }, "display-name": { type: "string" } }),
    async run(ctx) {
      const u = "admin bootstrap --org SLUG --org-name NAME --username U --display-name D";
      const input = {
        orgSlug: required(ctx.opts, "org", u),
        orgName: required(ctx.opts, "org-name", u),
        username: required(ctx.opts, "username", u),
        displayName: required(ctx.opts, "display-name", u),
      };
      const password = await readPassword(ctx.env, ctx.stdin);
      if (password.length < 10) throw new CliError("validation_failed", "the password must have at least 10 characters", "choose a longer password");
      const { org, user } = await offline(ctx, (deps, { createOrgWithOwner }) => createOrgWithOwner(deps, { ...input, password }));
      ctx.out.result({ org, user }, [
        `Created org "${org.name}" (${org.slug}) with owner ${user.username}.`,
        `Next: start the server (parley start) and sign in: parley login --server URL --org ${org.slug} --username ${user.username}`,
      ]);
    },
  },
  {
    name: ["admin", "invite"],
    usage: "[--role member|guest|admin] [--max-uses N] [--expires 7d] [--org SLUG]",
    summary: "Create an invite link; prints its token and the command that accepts it",
    options: withDb({ role: { type: "string" }, "max-uses": { type: "string" }, expires: { type: "string" } }),
    async run(ctx) {
      const r = role(str(ctx.opts, "role") ?? "member", ["admin", "member", "guest"]) as Exclude<OrgRole, "owner">;
      const maxUses = int(str(ctx.opts, "max-uses"), "--max-uses") ?? 1;
      const expiresInSeconds = parseDuration(str(ctx.opts, "expires") ?? "7d");
      if (expiresInSeconds < 60 || expiresInSeconds > 30 * 86400) throw new UsageError("--expires must be between 1m and 30d");
      const { invite, base, org } = await offline(ctx, async (deps, { createInvite }) => {
        const org = await resolveOrg(deps, str(ctx.opts, "org"));
        const invite = await createInvite(deps, org.actor, { role: r, maxUses, expiresInSeconds });
        return { invite, org, base: deps.config.publicUrl ?? `http://${deps.config.host}:${deps.config.port}` };
      });
      const link = `${base.replace(/\/+$/, "")}/invite/${invite.token}`;
      ctx.out.result({ ...invite, org: org.slug, link }, [
        `Invite to ${org.name} (${org.slug}) as ${invite.role}, ${invite.maxUses} use(s), expires ${when(invite.expiresAt)}`,
        `  link:  ${link}`,
        `  token: ${invite.token}`,
        `Accept it: PARLEY_PASSWORD=... parley invite accept ${invite.token} --server ${base} --username USER --display-name 'NAME'`,
      ]);
    },
  },
  {
    name: ["admin", "users"],
    usage: "[--org SLUG]",
    summary: "List the users of an org (deactivated included)",
    options: withDb(),
    async run(ctx) {
      const users = await offline(ctx, async (deps, { listUsers }) => {
        const org = await resolveOrg(deps, str(ctx.opts, "org"));
        return listUsers(deps, org.actor, { includeDeactivated: true });
      });
      ctx.out.result({ users }, () => table(users.map(userLine)));
    },
  },
  {
    name: ["admin", "role"],
    usage: "USER ROLE [--org SLUG]",
    summary: "Set a user's org role (owner, admin, member, guest)",
    min: 2,
    options: withDb(),
    async run(ctx) {
      const r = role(ctx.args[1]!);
      const user = await offline(ctx, async (deps, { setUserRole }) => {
        const org = await resolveOrg(deps, str(ctx.opts, "org"));
        return setUserRole(deps, org.actor, (await resolveUser(deps, org.id, ctx.args[0]!)).id, r);
      });
      ctx.out.result({ user }, `${user.username} is now ${user.role}`);
    },
  },
  ...(["deactivate", "reactivate"] as const).map((verb): Command => ({
    name: ["admin", verb],
    usage: "USER [--org SLUG]",
    min: 1,
    options: withDb(),
    summary: verb === "deactivate" ? "Deactivate a user: no sign-in, every session ends" : "Reactivate a deactivated user",
    async run(ctx) {
      const user = await offline(ctx, async (deps, { deactivateUser, reactivateUser }) => {
        const org = await resolveOrg(deps, str(ctx.opts, "org"));
        const id = (await resolveUser(deps, org.id, ctx.args[0]!)).id;
        return verb === "deactivate" ? deactivateUser(deps, org.actor, id) : reactivateUser(deps, org.actor, id);
      });
      ctx.out.result({ user }, `${user.username} is ${user.deactivated ? "deactivated" : "active"}`);
    },
  })),
  {
    name: ["admin", "devices"],
    usage: "USER [--org SLUG]",
    summary: "List a user's devices",
    min: 1,
    options: withDb(),
    async run(ctx) {
      const devices = await offline(ctx, async (deps, { listDevicesOfUser }) => {
        const org = await resolveOrg(deps, str(ctx.opts, "org"));
        return listDevicesOfUser(deps, org.actor, (await resolveUser(deps, org.id, ctx.args[0]!)).id);
      });
      ctx.out.result({ devices }, () => (devices.length ? table(devices.map(deviceLine)) : "no devices"));
    },
  },
  {
    name: ["admin", "revoke-device"],
    usage: "USER DEVICE_ID [--org SLUG]",
    summary: "Revoke a user's device: its sessions end",
    min: 2,
    options: withDb(),
    async run(ctx) {
      await offline(ctx, async (deps, { adminRevokeDevice }) => {
        const org = await resolveOrg(deps, str(ctx.opts, "org"));
        await adminRevokeDevice(deps, org.actor, (await resolveUser(deps, org.id, ctx.args[0]!)).id, ctx.args[1]!);
      });
      ctx.out.result({ revoked: ctx.args[1] }, `device ${ctx.args[1]} revoked`);
    },
  },
  {
    name: ["admin", "migrate"],
    usage: "",
    summary: "Apply pending database migrations (with progress)",
    options: SERVER_OPTIONS,
    async run(ctx) {
      const applied: string[] = [];
      const db = await openOffline(serverConfigFromFlags(ctx.opts), ctx.env, (name) => {
        applied.push(name);
        ctx.out.note(`applied ${name}`);
      });
      const dialect = db.deps.storage.dialect;
      await db.close();
      ctx.out.result({ applied, dialect }, applied.length ? `${applied.length} migration(s) applied (${dialect})` : `database is up to date (${dialect})`);
    },
  },
];
