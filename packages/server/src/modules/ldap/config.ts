/**
 * An org's LDAP settings: read (never the service password), saved (checked, the password
 * sealed through platform/kms, audited), tried out (a connection test that changes nothing),
 * and opened for sign-in and sync.
 *
 * Who may save what: `org.manage_security` (owners, admins); owners only (`org.manage_admins`)
 * when the role mapping grants owner or admin, or when directory accounts are owners or
 * admins — whoever controls the directory controls the accounts it signs in, so an admin
 * may not point it somewhere else. A stored password is only reused with the URL and bind DN
 * it was entered for, so it cannot be sent to another server.
 */
import {
  LdapSettings as LdapSettingsSchema,
  LdapSettingsInput as LdapSettingsInputSchema,
  LdapSyncStatus as LdapSyncStatusSchema,
  type LdapConfig,
  type LdapSettings,
  type LdapSettingsInput,
  type LdapTestResult,
} from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { LdapConfigsTable } from "../../platform/db/tables.ts";
import { runCommand } from "../../command.ts";
import { actorRef } from "../../core/actor.ts";
import { AppError, badRequest } from "../../core/errors.ts";
import { validated } from "../../core/validate.ts";
import { authorize, channelResourceOf } from "../access/authorize.ts";
import { findChannel, findMembership } from "../channels/store.ts";
import { checkFilterSyntax, DirectoryUnavailable, withDirectory, type DirectorySettings } from "./directory.ts";
import { desiredAccess, grantsPrivilege } from "./mapping.ts";
import { findLinkOfUser, getLdapRow, hasPrivilegedDirectoryAccount, upsertLdapRow } from "./store.ts";

const sealContext = (orgId: string) => `ldap-bind:${orgId}`;
const org = (p: Actor) => ({ type: "org" as const, orgId: p.orgId });

/** The stored settings, or undefined when missing or no longer valid (logged: the org then has no working directory). */
function storedSettings(deps: Deps, row: Pick<LdapConfigsTable, "org_id" | "settings">): LdapSettings | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(row.settings);
  } catch {
    raw = undefined;
  }
  const parsed = LdapSettingsSchema.safeParse(raw);
  if (!parsed.success)
    deps.log.error({ module: "ldap", orgId: row.org_id }, "stored LDAP settings do not parse; the directory is off until an admin saves them again");
  return parsed.success ? parsed.data : undefined;
}

/** Settings of a stored row (for the scheduler). */
export function settingsOfRow(deps: Deps, row: Pick<LdapConfigsTable, "org_id" | "settings">): LdapSettings | undefined {
  return storedSettings(deps, row);
}

function view(deps: Deps, row: LdapConfigsTable | undefined): LdapConfig {
  if (!row) return { settings: null, bindPasswordSet: false, updatedAt: null, lastSync: null };
  const lastSync = row.last_sync ? LdapSyncStatusSchema.safeParse(JSON.parse(row.last_sync)) : undefined;
  return {
    settings: storedSettings(deps, row) ?? null,
    bindPasswordSet: true,
    updatedAt: Number(row.updated_at),
    lastSync: lastSync?.success ? lastSync.data : null,
  };
}

export async function getLdapConfig(deps: Deps, p: Actor): Promise<LdapConfig> {
  authorize(p, "org.manage_security", org(p));
  return view(deps, await getLdapRow(deps.db, p.orgId));
}

/**
 * The org's directory with its service password, when it is enabled (sign-in, sync);
 * undefined when the org has none or it is off.
 */
export async function enabledDirectory(deps: Deps, q: Db | Tx, orgId: string): Promise<DirectorySettings | undefined> {
  const row = await getLdapRow(q, orgId);
  const settings = row ? storedSettings(deps, row) : undefined;
  if (!row || !settings?.enabled) return undefined;
  return { ...settings, bindPassword: new TextDecoder().decode(await deps.kms.open(row.bind_password, sealContext(orgId), { orgId, db: q })) };
}

/** The settings part of an input (without the password). */
function settingsOf(input: ReturnType<typeof LdapSettingsInputSchema.parse>): LdapSettings {
  const { bindPassword: _omit, ...settings } = input;
  return settings;
}

/** Checks the schema cannot make: filter syntax, mapped channels, who may save it. */
async function checkSettings(deps: Deps, q: Db | Tx, p: Actor, s: LdapSettings): Promise<void> {
  const issues: Array<{ path: Array<string | number>; message: string }> = [];
  const userFilterProblem = checkFilterSyntax(s.userFilter.split("{username}").join("x"));
  if (userFilterProblem) issues.push({ path: ["userFilter"], message: `not a valid LDAP filter: ${userFilterProblem}` });
  const groupFilterProblem = s.groups ? checkFilterSyntax(s.groups.filter) : undefined;
  if (groupFilterProblem) issues.push({ path: ["groups", "filter"], message: `not a valid LDAP filter: ${groupFilterProblem}` });
  for (const [i, m] of s.channelMapping.entries()) {
    const ch = await findChannel(q, p.orgId, m.channelId);
    // Another org's channel looks like a missing one.
    if (!ch) issues.push({ path: ["channelMapping", i, "channelId"], message: "no such channel" });
    else if (ch.kind === "dm" || ch.kind === "group_dm") issues.push({ path: ["channelMapping", i, "channelId"], message: "DMs cannot be mapped" });
    else if (ch.archived_at !== null) issues.push({ path: ["channelMapping", i, "channelId"], message: "the channel is archived" });
    else if (p.kind === "device") {
      // Whoever maps a group to a channel must be able to invite to it themselves.
      const mine = await findMembership(q, ch.id, p.userId);
      try {
        authorize(p, "channel.invite", { type: "channel", channel: channelResourceOf(ch, mine?.role ?? null) });
      } catch {
        issues.push({ path: ["channelMapping", i, "channelId"], message: ch.kind === "public" ? "you may not invite to this channel" : "no such channel" });
      }
    }
  }
  if (issues.length) {
    throw new AppError("validation_failed", issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), {
      issues: issues.map((i) => ({ ...i, code: "custom" })),
    });
  }
}

/** Save the org's settings. */
export async function setLdapConfig(deps: Deps, p: Actor, raw: LdapSettingsInput): Promise<LdapConfig> {
  const input = validated(LdapSettingsInputSchema, raw);
  authorize(p, "org.manage_security", org(p));
  const next = settingsOf(input);
  await checkSettings(deps, deps.db, p, next);
  const before = await getLdapRow(deps.db, p.orgId);
  const prev = before ? storedSettings(deps, before) : undefined;
  if (grantsPrivilege(next) || (await hasPrivilegedDirectoryAccount(deps.db, p.orgId))) authorize(p, "org.manage_admins", org(p));
  const sameServer = prev !== undefined && prev.url === next.url && prev.bindDn === next.bindDn;
  if (input.bindPassword === undefined && (!before || !sameServer)) {
    throw badRequest(before ? "send bindPassword again: the URL or bind DN changed" : "bindPassword is required the first time", { field: "bindPassword" });
  }
  if (p.kind === "device" && next.enabled && !next.allowLocalAccounts && !(await findLinkOfUser(deps.db, p.orgId, p.userId))) {
    throw badRequest("you sign in with a Parley password: keep allowLocalAccounts on, or sign in through the directory first", { field: "allowLocalAccounts" });
  }
  const sealed =
    input.bindPassword !== undefined
      ? await deps.kms.seal(new TextEncoder().encode(input.bindPassword), sealContext(p.orgId), { orgId: p.orgId })
      : before!.bind_password;
  const now = deps.now();
  await runCommand(deps, p, "ldap.setConfig", async (tx, fx) => {
    await upsertLdapRow(tx, { org_id: p.orgId, settings: JSON.stringify(next), bind_password: sealed, updated_by: actorRef(p), updated_at: now });
    const changed = prev
      ? (Object.keys(next) as Array<keyof LdapSettings>).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(prev[k]))
      : Object.keys(next);
    fx.audit({
      action: "org.ldap.changed",
      target: { kind: "org", id: p.orgId },
      result: "success",
      details: { enabled: next.enabled, changed, passwordChanged: input.bindPassword !== undefined, created: !before },
    });
  });
  return view(deps, await getLdapRow(deps.db, p.orgId));
}

/**
 * Try settings (unsaved ones, or the stored ones) against the directory: connect, TLS, the
 * service bind, a search of the user base; with `username`, that user's entry, groups and
 * the role they would get. Changes nothing; an admin's tool, so it is audited.
 */
export async function testLdapConfig(
  deps: Deps,
  p: Actor,
  body: { settings?: LdapSettingsInput | undefined; username?: string | undefined },
): Promise<LdapTestResult> {
  authorize(p, "org.manage_security", org(p));
  const row = await getLdapRow(deps.db, p.orgId);
  let settings: DirectorySettings;
  if (body.settings) {
    const input = validated(LdapSettingsInputSchema, body.settings);
    const next = settingsOf(input);
    await checkSettings(deps, deps.db, p, next);
    const prev = row ? storedSettings(deps, row) : undefined;
    let password = input.bindPassword;
    // The stored password only ever goes to the server and account it was entered for.
    if (password === undefined && row && prev && prev.url === next.url && prev.bindDn === next.bindDn) {
      password = new TextDecoder().decode(await deps.kms.open(row.bind_password, sealContext(p.orgId), { orgId: p.orgId }));
    }
    if (password === undefined) throw badRequest("send bindPassword: no stored password belongs to this URL and bind DN", { field: "bindPassword" });
    settings = { ...next, bindPassword: password };
  } else {
    const prev = row ? storedSettings(deps, row) : undefined;
    if (!row || !prev) throw badRequest("no LDAP settings are saved; send settings to test");
    settings = { ...prev, bindPassword: new TextDecoder().decode(await deps.kms.open(row.bind_password, sealContext(p.orgId), { orgId: p.orgId })) };
  }
  const result = await tryDirectory(settings, body.username);
  deps.metrics.ldap.inc({ operation: "test", outcome: result.ok ? "ok" : "unavailable" });
  await runCommand(deps, p, "ldap.testConfig", async (_tx, fx) =>
    fx.audit({
      action: "org.ldap.tested",
      target: { kind: "org", id: p.orgId },
      result: result.ok ? "success" : "failure",
      details: { stage: result.stage, saved: !body.settings },
    }),
  );
  return result;
}

async function tryDirectory(s: DirectorySettings, username: string | undefined): Promise<LdapTestResult> {
  try {
    return await withDirectory(s, async (d) => {
      const users = await d.listUsers();
      const groupCount = s.groups ? `, the group filter ${(await d.listGroups()).length}` : "";
      if (!username) return { ok: true, stage: "done" as const, message: `connected; the user filter finds ${users.length} entries${groupCount}`, user: null };
      const entry = await d.findUser(username);
      if (!entry) return { ok: false, stage: "search_user" as const, message: `no single entry matches "${username}"`, user: null };
      const groups = await d.groupsOf(entry);
      const access = desiredAccess(s, groups);
      return {
        ok: true,
        stage: "done" as const,
        message: `connected; found ${entry.dn}`,
        user: {
          dn: entry.dn,
          username: entry.username,
          displayName: entry.displayName,
          email: entry.email,
          groups: groups.map((g) => g.name ?? g.dn),
          role: access.role ?? s.defaultRole,
        },
      };
    });
  } catch (err) {
    if (err instanceof DirectoryUnavailable) return { ok: false, stage: err.stage, message: err.message, user: null };
    throw err;
  }
}
