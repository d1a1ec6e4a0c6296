/**
 * `parley api-keys ...` and `parley service-accounts ...`: API keys for scripts, bots and
 * integrations (shown once, stored hashed, scoped, expiring; docs/identity.md "API keys and
 * service accounts"), and the non-human accounts admins make for them. A key is used with
 * PARLEY_API_KEY and PARLEY_SERVER.
 */
import type { ApiKey, ApiKeyScope, OrgRole, User } from "@parley/protocol";
import { required, str, type Command, type Ctx } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { table, when } from "../render.ts";
import { directory, withClient } from "../session.ts";
import { role } from "./admin.ts";

const SCOPES: ApiKeyScope[] = ["read", "write", "admin"];

function scopesArg(value: string): ApiKeyScope[] {
  const scopes = [...new Set(value.split(",").map((s) => s.trim()))].filter(Boolean);
  const bad = scopes.find((s) => !SCOPES.includes(s as ApiKeyScope));
  if (bad !== undefined || !scopes.length) throw new UsageError(`--scopes takes a comma-separated list of ${SCOPES.join(", ")}, got '${value}'`);
  return scopes as ApiKeyScope[];
}

/** "90d" or "90" -> 90 days (1 to 365). */
function expiresArg(value: string): number {
  const m = /^(\d+)d?$/.exec(value.trim());
  const days = m ? Number(m[1]) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > 365) throw new UsageError(`--expires takes days between 1 and 365 (e.g. 90d), got '${value}'`);
  return days;
}

/** Name, scopes and expiry of a new key, from the command line. */
function newKey(ctx: Ctx, name: string, usage: string) {
  const scopes = scopesArg(required(ctx.opts, "scopes", usage));
  const expires = str(ctx.opts, "expires");
  if (!name.trim() || name.length > 80) throw new UsageError("the key's name must have 1 to 80 characters");
  return { name, scopes, expiresInDays: expires === undefined ? 90 : expiresArg(expires) };
}

function keyLine(k: ApiKey, owner?: string): string[] {
  const state = k.revoked ? "revoked" : k.expiresAt <= Date.now() ? "expired" : `expires ${when(k.expiresAt)}`;
  return [
    k.id,
    ...(owner !== undefined ? [owner] : []),
    k.name,
    `${k.prefix}…`,
    k.scopes.join(","),
    state,
    `last used ${k.lastUsedAt ? when(k.lastUsedAt) : "never"}`,
  ];
}

/** The one-time display of a new key. */
function shownOnce(ctx: Ctx, created: { key: string; apiKey: ApiKey }, server: string, who: string): void {
  const k = created.apiKey;
  ctx.out.result(created, [
    `API key "${k.name}" (${k.id}) for ${who}: ${k.scopes.join(", ")}, expires ${when(k.expiresAt)}`,
    `  ${created.key}`,
    "It is shown once: store it now (a secret store, your CI's secrets). Use it with",
    `  PARLEY_API_KEY=… PARLEY_SERVER=${server} parley whoami`,
  ]);
}

const KEY_FLAGS = `Flags:
  --scopes S,S    what the key may do: read (every read, the live stream), write (what a member
                  may do, sending included), admin (administration, as far as the holder's role
                  allows; admins only). E.g. --scopes read,write
  --expires D     days until it stops working: 1 to 365 (default 90), e.g. 30d

The key is printed once and stored hashed on the server; revoke it with
\`parley api-keys revoke ID\` (its sessions end at once).`;

function serviceAccountLine(u: User): string[] {
  return [u.username, u.displayName, u.role, u.deactivated ? "deactivated" : "active", u.id];
}

export const apiKeyCommands: Command[] = [
  {
    name: ["api-keys"],
    usage: "[--all]",
    summary: "Your API keys (--all: every key of the org, admins)",
    options: { all: { type: "boolean" } },
    async run(ctx) {
      const all = ctx.opts.all === true;
      const { apiKeys, owners } = await withClient(ctx, async ({ api }) => {
        if (!all) return { ...(await api.call("listMyApiKeys")), owners: undefined };
        const { apiKeys } = await api.call("listApiKeys");
        return { apiKeys, owners: await directory(api) };
      });
      ctx.out.result({ apiKeys }, () => table(apiKeys.map((k) => keyLine(k, owners?.name(k.userId)))));
    },
  },
  {
    name: ["api-keys", "create"],
    usage: "NAME --scopes read[,write][,admin] [--expires 90d]",
    summary: "Create an API key for yourself (printed once)",
    details: KEY_FLAGS,
    min: 1,
    options: { scopes: { type: "string" }, expires: { type: "string" } },
    async run(ctx) {
      const body = newKey(ctx, ctx.args[0]!, "api-keys create NAME --scopes read[,write][,admin]");
      const r = await withClient(ctx, async ({ api, session }) => ({
        created: await api.call("createApiKey", { body }),
        server: session.baseUrl,
        me: (await api.call("me")).user.username,
      }));
      shownOnce(ctx, r.created, r.server, r.me);
    },
  },
  {
    name: ["api-keys", "revoke"],
    usage: "ID",
    summary: "Revoke an API key: yours, or (admins) any of the org's; its sessions end at once",
    min: 1,
    async run(ctx) {
      const id = ctx.args[0]!;
      await withClient(ctx, async ({ api }) => {
        const { apiKeys } = await api.call("listMyApiKeys");
        if (apiKeys.some((k) => k.id === id)) await api.call("revokeMyApiKey", { params: { id } });
        else await api.call("revokeApiKey", { params: { id } });
      });
      ctx.out.result({ revoked: id }, `API key ${id} is revoked; its sessions have ended.`);
    },
  },
  {
    name: ["service-accounts"],
    usage: "",
    summary: "The org's service accounts (admins)",
    async run(ctx) {
      const { serviceAccounts } = await withClient(ctx, ({ api }) => api.call("listServiceAccounts"));
      ctx.out.result({ serviceAccounts }, () => table(serviceAccounts.map(serviceAccountLine)));
    },
  },
  {
    name: ["service-accounts", "create"],
    usage: "USERNAME --display-name NAME [--role member|guest|admin]",
    summary: "Create a service account (admins): a non-human user whose only credentials are API keys",
    details: `Flags:
  --display-name NAME   how it shows in the org
  --role R              its org role: member (default), guest or admin

Give it a key with \`parley service-accounts create-key USERNAME KEYNAME --scopes ...\`;
deactivate it like any user.`,
    min: 1,
    options: { "display-name": { type: "string" }, role: { type: "string" } },
    async run(ctx) {
      const displayName = required(ctx.opts, "display-name", "service-accounts create USERNAME --display-name NAME");
      const r = role(str(ctx.opts, "role") ?? "member", ["admin", "member", "guest"]) as Exclude<OrgRole, "owner">;
      const user = await withClient(ctx, ({ api }) => api.call("createServiceAccount", { body: { username: ctx.args[0]!, displayName, role: r } }));
      ctx.out.result({ user }, [
        `Created service account ${user.username} (${user.role}, ${user.id}).`,
        `Next: parley service-accounts create-key ${user.username} KEYNAME --scopes read,write`,
      ]);
    },
  },
  {
    name: ["service-accounts", "create-key"],
    usage: "USERNAME NAME --scopes read[,write][,admin] [--expires 90d]",
    summary: "Create an API key for a service account (admins; printed once)",
    details: KEY_FLAGS,
    min: 2,
    options: { scopes: { type: "string" }, expires: { type: "string" } },
    async run(ctx) {
      const body = newKey(ctx, ctx.args[1]!, "service-accounts create-key USERNAME NAME --scopes read[,write][,admin]");
      const username = ctx.args[0]!.replace(/^@/, "");
      const r = await withClient(ctx, async ({ api, session }) => {
        const { serviceAccounts } = await api.call("listServiceAccounts");
        const account = serviceAccounts.find((u) => u.username === username);
        if (!account) throw new CliError("not_found", `no service account "${username}" in this organisation`, "list them with `parley service-accounts`");
        return { created: await api.call("createServiceAccountKey", { params: { id: account.id }, body }), server: session.baseUrl };
      });
      shownOnce(ctx, r.created, r.server, username);
    },
  },
];
