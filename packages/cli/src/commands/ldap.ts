/**
 * `parley ldap ...`: the org's LDAP / Active Directory settings (docs/identity.md "LDAP and
 * Active Directory"): show them, save them from a JSON file, test the directory, and sync
 * now, waiting for the outcome. The service account's password is never a flag nor in the
 * file: it comes from PARLEY_LDAP_BIND_PASSWORD, a prompt (echo off) or stdin.
 */
import fs from "node:fs/promises";
import { LdapSettingsInput, type LdapConfig, type LdapSettings, type LdapSyncStatus, type LdapTestResult } from "@parley/protocol";
import { int, str, type Command, type Ctx } from "../command.ts";
import { CliError, EXIT, UsageError } from "../errors.ts";
import { readSecret } from "../password.ts";
import { when } from "../render.ts";
import { withClient } from "../session.ts";

const PASSWORD_DOC = `The service account's password is read from PARLEY_LDAP_BIND_PASSWORD, else typed (echo off),
else the first line of stdin — never from a flag or the file.`;

function readBindPassword(ctx: Ctx): Promise<string> {
  return readSecret(ctx.env, ctx.stdin, {
    envVar: "PARLEY_LDAP_BIND_PASSWORD",
    prompt: "Directory service account password: ",
    what: "service account password",
    code: "no_password",
  });
}

/** Settings from a JSON file (the shape of `parley ldap --json`'s settings), without a password. */
async function settingsFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fs.readFile(path, "utf8");
  } catch (err) {
    throw new CliError("file_unreadable", `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, "check the path");
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError("invalid_file", `${path} is not JSON: ${(err as Error).message}`, "start from `parley ldap --json` (its settings object)");
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) throw new CliError("invalid_file", `${path} must hold one JSON object of settings`);
  const obj = data as Record<string, unknown>;
  // `parley ldap --json` output works as input: take its settings.
  const settings = "settings" in obj && obj.settings && typeof obj.settings === "object" ? (obj.settings as Record<string, unknown>) : obj;
  if ("bindPassword" in settings)
    throw new CliError(
      "invalid_file",
      `${path} holds a bindPassword`,
      "remove it: the password is read from PARLEY_LDAP_BIND_PASSWORD or stdin, never from a file",
    );
  return settings;
}

/** Settings checked as the server checks them, with every issue named (nothing is sent otherwise). */
function validated(settings: Record<string, unknown>): LdapSettingsInput {
  const r = LdapSettingsInput.safeParse(settings);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "settings"}: ${i.message}`);
  throw new CliError("validation_failed", `the settings are not valid: ${issues.join("; ")}`, "fix them in the file and run this again; nothing was changed");
}

function onOff(value: string, flag: string): boolean {
  if (value === "on") return true;
  if (value === "off") return false;
  throw new UsageError(`${flag} takes on or off, got '${value}'`);
}

function syncLine(s: LdapSyncStatus): string {
  const head = `${s.ok ? "succeeded" : "failed"} ${when(s.at)} (${s.trigger === "admin" ? "asked for" : "scheduled"})`;
  if (!s.ok || !s.counts) return `${head}: ${s.message ?? "no details"}`;
  const c = s.counts;
  return `${head}: ${c.entries} entries, ${c.accounts} accounts, ${c.profilesUpdated} profile(s) updated, ${c.rolesChanged} role(s) changed, ${c.channelsJoined} channel join(s), ${c.channelsLeft} leave(s), ${c.deactivated} deactivated, ${c.reactivated} reactivated, ${c.skipped} skipped`;
}

function configLines(c: LdapConfig): string[] {
  const s = c.settings;
  if (!s) return ["No directory is configured (save settings with `parley ldap set --file FILE`)."];
  return [
    `LDAP is ${s.enabled ? "enabled" : "disabled"}: ${s.url}${s.startTls ? " (StartTLS)" : ""}${s.caPem ? ", own CA" : ""}`,
    `  service account:  ${s.bindDn} (password ${c.bindPasswordSet ? "stored" : "NOT set"})`,
    `  users:            ${s.userBase} ${s.userFilter}`,
    `  groups:           ${s.groups ? `${s.groups.base} ${s.groups.filter}` : "not read"}`,
    `  role mapping:     ${s.roleMapping.map((m) => `${m.group} → ${m.role}`).join(", ") || "none"} (default ${s.defaultRole})`,
    `  channel mapping:  ${s.channelMapping.length} group → channel rule(s)`,
    `  local accounts:   ${s.allowLocalAccounts ? "sign in with their Parley password" : "refused"}; local admins when the directory is down: ${s.localAdminsWhenDown ? "allowed" : "refused"}`,
    `  sync:             every ${s.syncIntervalMinutes} min; last ${c.lastSync ? syncLine(c.lastSync) : "never"}`,
  ];
}

function testLines(r: LdapTestResult): string[] {
  return [
    r.ok ? `The directory works: ${r.message}` : `Failed at ${r.stage}: ${r.message}`,
    ...(r.user
      ? [
          `  entry:     ${r.user.dn}`,
          `  username:  ${r.user.username ?? "(none)"}; name: ${r.user.displayName ?? "(none)"}; email: ${r.user.email ?? "(none)"}`,
          `  groups:    ${r.user.groups.join(", ") || "(none)"}`,
          `  role:      ${r.user.role}`,
        ]
      : []),
  ];
}

const FILE_DOC = `The file holds the settings as JSON — the "settings" object of \`parley ldap --json\` (which
may be used whole), or see docs/identity.md for every field.`;

export const ldapCommands: Command[] = [
  {
    name: ["ldap"],
    usage: "",
    summary: "The org's LDAP / Active Directory settings and last sync (owners and admins; never the password)",
    async run(ctx) {
      const config = await withClient(ctx, ({ api }) => api.call("getLdap"));
      ctx.out.result(config, configLines(config));
    },
  },
  {
    name: ["ldap", "set"],
    usage: "[--file FILE] [--enabled on|off] [--bind-password]",
    summary: "Save the org's LDAP settings (owners and admins); checked before anything is sent",
    details: `Flags:
  --file FILE       the new settings (JSON); without it the saved ones are changed by the flags below
  --enabled on|off  turn directory sign-in and sync on or off
  --bind-password   send a new service account password (asked for anyway the first time and
                    whenever the URL or bind DN changes)

${FILE_DOC}
${PASSWORD_DOC}`,
    options: { file: { type: "string" }, enabled: { type: "string" }, "bind-password": { type: "boolean" } },
    async run(ctx) {
      const file = str(ctx.opts, "file");
      const enabledFlag = str(ctx.opts, "enabled");
      const enabled = enabledFlag === undefined ? undefined : onOff(enabledFlag, "--enabled");
      if (file === undefined && enabled === undefined && ctx.opts["bind-password"] !== true)
        throw new UsageError("nothing to change: pass --file FILE, --enabled on|off or --bind-password (show the settings with `parley ldap`)");
      const fromFile = file === undefined ? undefined : await settingsFile(file);
      const config = await withClient(ctx, async ({ api }) => {
        const current = await api.call("getLdap");
        const base: Record<string, unknown> | LdapSettings | undefined = fromFile ?? current.settings ?? undefined;
        if (!base) throw new CliError("not_configured", "this org has no directory settings yet", "pass them with --file FILE");
        const next = validated({ ...base, ...(enabled !== undefined ? { enabled } : {}) });
        const moved = !current.settings || current.settings.url !== next.url || current.settings.bindDn !== next.bindDn;
        const needsPassword = ctx.opts["bind-password"] === true || !current.bindPasswordSet || moved;
        const body = needsPassword ? { ...next, bindPassword: await readBindPassword(ctx) } : next;
        return api.call("setLdap", { body });
      });
      ctx.out.result(config, ["Saved.", ...configLines(config)]);
    },
  },
  {
    name: ["ldap", "test"],
    usage: "[--username U] [--file FILE [--bind-password]]",
    summary: "Try the directory step by step (connect, TLS, bind, searches); exits 1 when a step fails. Changes nothing",
    details: `Flags:
  --username U      also look this user up: the entry found, its groups and the role it would get
  --file FILE       test these unsaved settings instead of the saved ones
  --bind-password   with --file: the service account password to test with (else the stored one)

${FILE_DOC}
${PASSWORD_DOC}`,
    options: { username: { type: "string" }, file: { type: "string" }, "bind-password": { type: "boolean" } },
    async run(ctx) {
      const file = str(ctx.opts, "file");
      if (ctx.opts["bind-password"] === true && file === undefined)
        throw new UsageError("--bind-password goes with --file (the saved settings use the stored password)");
      const username = str(ctx.opts, "username");
      const settings = file === undefined ? undefined : validated(await settingsFile(file));
      const withPassword = settings && ctx.opts["bind-password"] === true ? { ...settings, bindPassword: await readBindPassword(ctx) } : settings;
      const result = await withClient(ctx, ({ api }) =>
        api.call("testLdap", { body: { ...(withPassword ? { settings: withPassword } : {}), ...(username ? { username } : {}) } }),
      );
      ctx.out.result(result, testLines(result));
      return result.ok ? EXIT.ok : EXIT.error;
    },
  },
  {
    name: ["ldap", "sync"],
    usage: "[--no-wait] [--timeout SECONDS]",
    summary: "Sync the directory's users and groups now and wait for the outcome (owners and admins); exits 1 if it fails",
    details: `Flags:
  --no-wait            only queue the sync (its outcome shows in \`parley ldap\` later)
  --timeout SECONDS    how long to wait for the outcome (default 300)

Progress goes to stderr; the outcome (counts of what changed, or why nothing did) to stdout.`,
    options: { "no-wait": { type: "boolean" }, timeout: { type: "string" } },
    async run(ctx) {
      const timeoutS = int(str(ctx.opts, "timeout"), "--timeout") ?? 300;
      const wait = ctx.opts["no-wait"] !== true;
      const r = await withClient(ctx, async ({ api }) => {
        const before = JSON.stringify((await api.call("getLdap")).lastSync);
        const { jobId } = await api.call("syncLdap");
        if (!wait) return { jobId, lastSync: null };
        ctx.out.note(`sync queued (job ${jobId}); waiting for it to finish…`);
        const started = Date.now();
        let noted = started;
        while (Date.now() - started < timeoutS * 1000) {
          if (ctx.signal.aborted) throw new CliError("interrupted", "stopped waiting; the sync goes on on the server", "see its outcome with `parley ldap`");
          await new Promise((resolve) => setTimeout(resolve, 500));
          const { lastSync } = await api.call("getLdap");
          if (lastSync && JSON.stringify(lastSync) !== before) return { jobId, lastSync };
          if (Date.now() - noted >= 5000) {
            noted = Date.now();
            ctx.out.note(`still syncing (${Math.round((noted - started) / 1000)}s)…`);
          }
        }
        throw new CliError("timeout", `the sync did not finish within ${timeoutS}s; it goes on on the server`, "see its outcome later with `parley ldap`");
      });
      if (!r.lastSync) {
        ctx.out.result({ jobId: r.jobId }, `Sync queued (job ${r.jobId}); see its outcome with \`parley ldap\`.`);
        return EXIT.ok;
      }
      ctx.out.result(r, `Sync ${syncLine(r.lastSync)}`);
      return r.lastSync.ok ? EXIT.ok : EXIT.error;
    },
  },
];
