/**
 * Multi-factor authentication, the admin's side: the org's MFA policy (required or not, of
 * which roles, after how many days' grace), and removing a user's second factors after a
 * lost phone and lost recovery codes.
 */
import type { MfaPolicy, OrgRole } from "@parley/protocol";
import { isParleyError } from "@parley/sdk/node";
import { int, str, type Command } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { directory, withClient } from "../session.ts";
import { role } from "./admin.ts";

function policyLines(p: MfaPolicy): string[] {
  if (!p.required) return ["Multi-factor authentication is optional in this organisation (`--required on` requires it)."];
  const grace =
    p.graceDays === 0
      ? "at once: their next sign-in can only set up an authenticator app"
      : `within ${p.graceDays} day(s) of the policy covering them or their account being made; after that their sign-ins can only set up an authenticator app`;
  return [`Multi-factor authentication is required of: ${p.roles.join(", ")}.`, `They must set it up ${grace}.`];
}

function onOff(value: string): boolean {
  if (value === "on") return true;
  if (value === "off") return false;
  throw new UsageError(`--required takes on or off, got '${value}'`);
}

function rolesArg(value: string): OrgRole[] {
  const roles = [...new Set(value.split(",").map((r) => r.trim()))].filter(Boolean).map((r) => role(r));
  if (!roles.length) throw new UsageError("--roles needs at least one of owner, admin, member, guest");
  return roles;
}

export const mfaAdminCommands: Command[] = [
  {
    name: ["users", "reset-mfa"],
    usage: "USERNAME",
    summary: "Remove a user's authenticator app and recovery codes (admins; an owner's or admin's only by owners); their sessions end",
    details: `For a user who lost their phone and their recovery codes. They sign in with their password
alone afterwards (and set up a new app, which the org's policy may require at once).`,
    min: 1,
    async run(ctx) {
      const user = await withClient(ctx, async ({ api, session }) => {
        const user = (await directory(api)).byName(ctx.args[0]!);
        if (user.id === session.userId)
          throw new CliError("own_account", "this is your own account", "turn your own authenticator off with `parley account mfa disable`");
        await api.call("adminResetMfa", { params: { id: user.id } });
        return user;
      });
      ctx.out.result(
        { reset: true, username: user.username, userId: user.id },
        `The authenticator app and recovery codes of ${user.username} were removed and every session of theirs has ended: they sign in with their password alone now.`,
      );
    },
  },
  {
    name: ["org", "mfa-policy"],
    usage: "[--required on|off] [--roles owner,admin,member,guest] [--grace-days N]",
    summary: "Show the org's multi-factor authentication policy, or change it (admins)",
    details: `Flags:
  --required on|off   whether the roles below must use an authenticator app
  --roles R,R         which roles it applies to (owner, admin, member, guest; default: as now)
  --grace-days N      days (0 to 90) a user may still go without, counted from when the policy
                      first covers them or their account is made; after that their sign-ins can
                      only set up an authenticator app (default: as now; 7 at first)

Without flags it shows the policy. A policy that covers your own role needs an authenticator
app of yours first (\`parley account mfa enable\`). Sessions that already exist keep working.`,
    options: { required: { type: "string" }, roles: { type: "string" }, "grace-days": { type: "string" } },
    async run(ctx) {
      const requiredFlag = str(ctx.opts, "required");
      const required = requiredFlag === undefined ? undefined : onOff(requiredFlag);
      const rolesFlag = str(ctx.opts, "roles");
      const roles = rolesFlag === undefined ? undefined : rolesArg(rolesFlag);
      const graceDays = int(str(ctx.opts, "grace-days"), "--grace-days", 0);
      if (graceDays !== undefined && graceDays > 90) throw new UsageError(`--grace-days must be between 0 and 90, got '${graceDays}'`);
      const policy = await withClient(ctx, async ({ api }) => {
        const current = await api.call("getMfaPolicy");
        if (required === undefined && roles === undefined && graceDays === undefined) return current;
        const next = { required: required ?? current.required, roles: roles ?? current.roles, graceDays: graceDays ?? current.graceDays };
        return api.call("setMfaPolicy", { body: next }).catch((err: unknown) => {
          // The one refusal besides `forbidden`: the policy would lock out the admin setting it.
          if (isParleyError(err, "bad_request"))
            throw new CliError(
              "bad_request",
              `${err.message}; nothing was changed`,
              "set up your authenticator app with `parley account mfa enable`, then run this again",
            );
          throw err;
        });
      });
      ctx.out.result({ policy }, policyLines(policy));
    },
  },
];
