/**
 * `parley scim tokens ...`: bearer tokens for the org's identity provider to provision users
 * and groups over SCIM 2.0 (docs/identity.md "SCIM 2.0 provisioning"). A token is printed
 * once, with the SCIM base URL to give the identity provider; it acts with its creator's role.
 */
import type { ScimToken } from "@parley/protocol";
import { str, type Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { table, when } from "../render.ts";
import { withClient } from "../session.ts";

/** "365d" or "365" -> days (1 to 3650); "never" -> undefined. */
function expiresArg(value: string): number | undefined {
  if (value === "never") return undefined;
  const m = /^(\d+)d?$/.exec(value.trim());
  const days = m ? Number(m[1]) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError(`--expires takes days between 1 and 3650 (e.g. 365d) or never, got '${value}'`);
  return days;
}

function tokenLine(t: ScimToken): string[] {
  const state = t.revokedAt
    ? `revoked ${when(t.revokedAt)}`
    : t.expiresAt === null
      ? "no expiry"
      : t.expiresAt <= Date.now()
        ? "expired"
        : `expires ${when(t.expiresAt)}`;
  return [t.id, t.name, `as ${t.authority}`, `by ${t.createdBy}`, state, `last used ${t.lastUsedAt ? when(t.lastUsedAt) : "never"}`];
}

export const scimCommands: Command[] = [
  {
    name: ["scim", "tokens"],
    usage: "",
    summary: "The org's SCIM tokens, revoked ones included (admins; never the secret)",
    async run(ctx) {
      const { tokens } = await withClient(ctx, ({ api }) => api.call("listScimTokens"));
      ctx.out.result({ tokens }, () => table(tokens.map(tokenLine)));
    },
  },
  {
    name: ["scim", "tokens", "create"],
    usage: "NAME [--expires 365d|never]",
    summary: "Create a SCIM bearer token for the identity provider (admins; printed once, with the SCIM base URL)",
    details: `Flags:
  --expires D   days until it stops working: 1 to 3650 (e.g. 365d), or never (default; revoke it instead)

The token acts with your role: an admin's provisions members and guests, an owner's may also
change admins. Paste the SCIM base URL and the token into the identity provider's SCIM app.`,
    min: 1,
    options: { expires: { type: "string" } },
    async run(ctx) {
      const name = ctx.args[0]!;
      if (!name.trim() || name.length > 80) throw new UsageError("the token's name must have 1 to 80 characters");
      const flag = str(ctx.opts, "expires");
      const expiresInDays = flag === undefined ? undefined : expiresArg(flag);
      const t = await withClient(ctx, ({ api }) => api.call("createScimToken", { body: { name, ...(expiresInDays !== undefined ? { expiresInDays } : {}) } }));
      ctx.out.result(t, [
        `SCIM token "${t.name}" (${t.id}), acting as ${t.authority}, ${t.expiresAt === null ? "no expiry" : `expires ${when(t.expiresAt)}`}`,
        `  SCIM base URL: ${t.scimUrl}`,
        `  token:         ${t.token}`,
        "The token is shown once: paste it into the identity provider now. Revoke it with `parley scim tokens revoke ID`.",
      ]);
    },
  },
  {
    name: ["scim", "tokens", "revoke"],
    usage: "ID",
    summary: "Revoke a SCIM token: the identity provider's next request is refused (admins)",
    min: 1,
    async run(ctx) {
      const id = ctx.args[0]!;
      await withClient(ctx, ({ api }) => api.call("revokeScimToken", { params: { id } }));
      ctx.out.result({ revoked: id }, `SCIM token ${id} is revoked.`);
    },
  },
];
