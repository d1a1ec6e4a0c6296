/**
 * `parley roles ...` and `parley users roles`: custom org roles built from the permission
 * catalogue (docs/identity.md "Roles and policies"), held in addition to a user's built-in
 * role (owner, admin, member, guest; changed with `parley admin role`). Admins with
 * org.manage_roles; owner-only permissions cannot be granted.
 */
import { OrgPermission, type CustomRole } from "@parley/protocol";
import type { Api } from "@parley/sdk/node";
import { required, str, type Command, type Opts } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { table } from "../render.ts";
import { directory, withClient } from "../session.ts";
import { LIST_OPTIONS, listChange } from "./policies.ts";

const ROLE_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const BUILT_IN = ["owner", "admin", "member", "guest"];

function roleName(value: string, flag = "the role's name"): string {
  if (!ROLE_NAME.test(value)) throw new UsageError(`${flag} takes 1-40 lower-case letters, digits, '-' and '_', got '${value}'`);
  if (BUILT_IN.includes(value)) throw new UsageError(`'${value}' is a built-in role (change a user's with \`parley admin role\`)`);
  return value;
}

function permissionsArg(value: string): OrgPermission[] {
  const perms = [...new Set(value.split(",").map((s) => s.trim()))].filter(Boolean);
  const bad = perms.find((p) => !OrgPermission.safeParse(p).success);
  if (bad !== undefined || !perms.length)
    throw new UsageError(`--permissions takes a comma-separated list of ${OrgPermission.options.join(", ")}, got '${value}'`);
  return perms as OrgPermission[];
}

function description(opts: Opts): string | undefined {
  const d = str(opts, "description");
  if (d !== undefined && d.length > 500) throw new UsageError("--description has at most 500 characters");
  return d;
}

/** A custom role by id or name, among the org's. */
function findRole(roles: CustomRole[], ref: string): CustomRole {
  const found = roles.find((r) => r.id === ref) ?? roles.find((r) => r.name === ref);
  if (!found) throw new CliError("not_found", `no custom role "${ref}" in this organisation`, "list them with `parley roles`");
  return found;
}

async function roles(api: Api): Promise<CustomRole[]> {
  return (await api.call("listCustomRoles")).roles;
}

/** Refuse (as a usage error, nothing sent) permissions the catalogue marks as never grantable. */
async function grantable(api: Api, permissions: OrgPermission[] | undefined): Promise<void> {
  if (!permissions) return;
  const { catalogue } = await api.call("listCustomRoles");
  const bad = permissions.find((p) => !catalogue.some((c) => c.permission === p && c.grantable));
  if (bad !== undefined)
    throw new UsageError(
      `${bad} is reserved to owners and cannot be part of a custom role`,
      `grantable: ${catalogue
        .filter((c) => c.grantable)
        .map((c) => c.permission)
        .join(", ")}`,
    );
}

const roleLine = (r: CustomRole) => [r.id, r.name, r.permissions.join(","), `${r.memberIds.length} holder(s)`, r.description];

const ROLE_FLAGS = `Flags:
  --permissions P,P  catalogue permissions it grants: ${OrgPermission.options.join(", ")}
                     (owner-only ones, such as org.manage_admins, cannot be granted)
  --description D    what it is for

Assign it with \`parley users roles USER --add NAME\`. A holder's permissions are their built-in
role's plus each custom role's; org policies can still forbid (\`parley policies\`).`;

export const roleCommands: Command[] = [
  {
    name: ["roles"],
    usage: "",
    summary: "The org's custom roles and the permissions they can grant (admins with org.manage_roles)",
    details: `A user holds one built-in role (owner, admin, member, guest) and any number of custom
roles; their permissions add up. Subcommands: roles create, roles update, roles delete;
assign them with \`parley users roles USER --add NAME\`.`,
    async run(ctx) {
      const r = await withClient(ctx, ({ api }) => api.call("listCustomRoles"));
      const grantable = r.catalogue.filter((c) => c.grantable).map((c) => c.permission);
      ctx.out.result(r, () => [
        r.roles.length ? table(r.roles.map(roleLine)) : "No custom roles (`parley roles create NAME --permissions P,P`).",
        `Grantable permissions: ${grantable.join(", ")}`,
      ]);
    },
  },
  {
    name: ["roles", "create"],
    usage: "NAME --permissions P,P [--description D]",
    summary: "Define a custom role from catalogue permissions",
    details: ROLE_FLAGS,
    min: 1,
    options: { permissions: { type: "string" }, description: { type: "string" } },
    async run(ctx) {
      const name = roleName(ctx.args[0]!);
      const permissions = permissionsArg(required(ctx.opts, "permissions", "roles create NAME --permissions P,P"));
      const role = await withClient(ctx, async ({ api }) => {
        await grantable(api, permissions);
        return api.call("createCustomRole", { body: { name, permissions, description: description(ctx.opts) ?? "" } });
      });
      ctx.out.result({ role }, `Created role ${role.name} (${role.id}): ${role.permissions.join(", ")}.`);
    },
  },
  {
    name: ["roles", "update"],
    usage: "ID|NAME [--name N] [--permissions P,P] [--description D]",
    summary: "Rename a custom role or change its permissions (its holders keep it)",
    details: ROLE_FLAGS.replace("Flags:\n", "Flags:\n  --name N           a new name\n"),
    min: 1,
    options: { name: { type: "string" }, permissions: { type: "string" }, description: { type: "string" } },
    async run(ctx) {
      const newName = str(ctx.opts, "name");
      const perms = str(ctx.opts, "permissions");
      const d = description(ctx.opts);
      const body = {
        ...(newName !== undefined ? { name: roleName(newName, "--name") } : {}),
        ...(perms !== undefined ? { permissions: permissionsArg(perms) } : {}),
        ...(d !== undefined ? { description: d } : {}),
      };
      if (!Object.keys(body).length) throw new UsageError("nothing to change: pass --name, --permissions or --description");
      const role = await withClient(ctx, async ({ api }) => {
        const id = findRole(await roles(api), ctx.args[0]!).id;
        await grantable(api, body.permissions);
        return api.call("updateCustomRole", { params: { id }, body });
      });
      ctx.out.result({ role }, `Updated role ${role.name} (${role.id}): ${role.permissions.join(", ")}.`);
    },
  },
  {
    name: ["roles", "delete"],
    usage: "ID|NAME",
    summary: "Delete a custom role (its holders lose it at once)",
    min: 1,
    async run(ctx) {
      const role = await withClient(ctx, async ({ api }) => {
        const r = findRole(await roles(api), ctx.args[0]!);
        await api.call("deleteCustomRole", { params: { id: r.id } });
        return r;
      });
      ctx.out.result({ deleted: role.id, name: role.name }, `Deleted role ${role.name}; ${role.memberIds.length} holder(s) lost it.`);
    },
  },
  {
    name: ["users", "roles"],
    usage: "USERNAME [--set R,R | --add R | --remove R | --clear]",
    summary: "A user's custom roles, or change them (admins with org.manage_roles)",
    details: `Flags:
  --set R,R     the custom roles (names or ids), replacing the current ones
  --add R,…     add custom roles
  --remove R,…  remove custom roles
  --clear       remove every custom role

The built-in role (owner, admin, member, guest) is not changed here.`,
    min: 1,
    options: LIST_OPTIONS,
    async run(ctx) {
      const change = listChange(ctx.opts, "custom role names", (r) => {
        if (!/^[A-Za-z0-9_-]{1,64}$/.test(r)) throw new UsageError(`'${r}' is not a role name or id`);
      });
      const r = await withClient(ctx, async ({ api }) => {
        const [user, all] = await Promise.all([directory(api).then((d) => d.byName(ctx.args[0]!)), roles(api)]);
        const held = all.filter((x) => x.memberIds.includes(user.id));
        if (!change) return { user, held };
        // --remove takes names or ids; --set and --add name the roles to hold, resolved here.
        const next =
          ctx.opts.remove !== undefined
            ? held.filter((x) => change([x.name]).length > 0 && change([x.id]).length > 0)
            : change(held.map((x) => x.name)).map((ref) => findRole(all, ref));
        const { roleIds } = await api.call("setUserCustomRoles", { params: { id: user.id }, body: { roleIds: [...new Set(next.map((x) => x.id))] } });
        return { user, held: all.filter((x) => roleIds.includes(x.id)) };
      });
      const names = r.held.map((x) => x.name);
      ctx.out.result(
        { username: r.user.username, userId: r.user.id, role: r.user.role, customRoles: r.held.map((x) => ({ id: x.id, name: x.name })) },
        `${r.user.username}: ${r.user.role}${names.length ? ` + ${names.join(", ")}` : " (no custom roles)"}`,
      );
    },
  },
];
