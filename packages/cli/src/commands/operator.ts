/**
 * `parley operator ...`: the server operator's API over HTTP (list, create, suspend and
 * restore orgs). The operator is not an org role: these commands sign in with an operator
 * token (PARLEY_OPERATOR_TOKEN, made on the server with `parley admin operator-token
 * create`) on the server PARLEY_SERVER or --server names, never with the profile's session.
 */
import type { OperatorOrg } from "@parley/protocol";
import { createApi, isParleyError, type Api } from "@parley/sdk/node";
import { required, str, type Command, type Ctx } from "../command.ts";
import { CliError } from "../errors.ts";
import { table, when } from "../render.ts";
import { serverUrl } from "../session.ts";
import { emailArg } from "./account-settings.ts";

const TOKEN_HINT = "make one on the server with `parley admin operator-token create NAME` and set PARLEY_OPERATOR_TOKEN";

/** A REST client that sends the operator token on every request (operator routes take no user session). */
function operatorApi(ctx: Ctx): Api {
  const token = ctx.env.PARLEY_OPERATOR_TOKEN;
  if (!token) throw new CliError("no_operator_token", "PARLEY_OPERATOR_TOKEN is not set", TOKEN_HINT);
  const server = str(ctx.opts, "server") ?? ctx.env.PARLEY_SERVER;
  if (!server) throw new CliError("no_server", "no server: pass --server URL or set PARLEY_SERVER", "e.g. PARLEY_SERVER=https://chat.example.org", 2);
  const withToken: typeof fetch = (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
  return createApi({ baseUrl: serverUrl(server), fetch: withToken });
}

/** Run `fn` with the operator API; a refused token gets an operator's hint, not "parley login". */
async function asOperator<T>(ctx: Ctx, fn: (api: Api) => Promise<T>): Promise<T> {
  const api = operatorApi(ctx);
  try {
    return await fn(api);
  } catch (err) {
    if (isParleyError(err, "unauthorized"))
      throw new CliError("unauthorized", "the server refused the operator token (unknown, revoked or mistyped)", TOKEN_HINT);
    throw err;
  }
}

/** An org named by slug or id, from the operator's list. */
async function findOrg(api: Api, ref: string): Promise<OperatorOrg> {
  const { orgs } = await api.call("operatorListOrgs");
  const org = orgs.find((o) => o.slug === ref || o.id === ref);
  if (!org) throw new CliError("not_found", `no org "${ref}" on this server`, "list them with `parley operator orgs`");
  return org;
}

function orgLine(o: OperatorOrg): string[] {
  const state = o.suspended ? `suspended ${o.suspendedAt ? when(o.suspendedAt) : ""}: ${o.suspendedReason ?? ""}`.trim() : "active";
  return [o.slug, o.name, `${o.users} user(s)`, o.id, state];
}

const SERVER_OPTION = { server: { type: "string" } } as const;
const AUTH_DOC = `The operator token comes from PARLEY_OPERATOR_TOKEN (never a flag: it would show in \`ps\`
and shell history); the server from --server URL or PARLEY_SERVER.`;

export const operatorCommands: Command[] = [
  {
    name: ["operator", "orgs"],
    usage: "[--server URL]",
    summary: "Every org on the server with its user count and state (operator token)",
    details: AUTH_DOC,
    options: SERVER_OPTION,
    async run(ctx) {
      const { orgs } = await asOperator(ctx, (api) => api.call("operatorListOrgs"));
      ctx.out.result({ orgs }, () => table(orgs.map(orgLine)));
    },
  },
  {
    name: ["operator", "orgs", "create"],
    usage: "SLUG --name NAME --owner USERNAME --owner-name NAME [--owner-email ADDRESS] [--server URL]",
    summary: "Create an org and its owner (operator token); the owner chooses a password from a one-time link",
    details: `Flags:
  --name NAME            the org's display name
  --owner USERNAME       the owner's username
  --owner-name NAME      the owner's display name
  --owner-email ADDRESS  the owner's email: the link to choose a password is emailed there
                         (when the server sends email); otherwise it is printed once here

${AUTH_DOC}`,
    min: 1,
    options: { ...SERVER_OPTION, name: { type: "string" }, owner: { type: "string" }, "owner-name": { type: "string" }, "owner-email": { type: "string" } },
    async run(ctx) {
      const u = "operator orgs create SLUG --name NAME --owner USERNAME --owner-name NAME";
      const email = str(ctx.opts, "owner-email");
      const body = {
        slug: ctx.args[0]!,
        name: required(ctx.opts, "name", u),
        owner: {
          username: required(ctx.opts, "owner", u),
          displayName: required(ctx.opts, "owner-name", u),
          ...(email !== undefined ? { email: emailArg(email) } : {}),
        },
      };
      const r = await asOperator(ctx, (api) => api.call("operatorCreateOrg", { body }));
      ctx.out.result(r, [
        `Created org "${r.org.name}" (${r.org.slug}, ${r.org.id}) with owner ${body.owner.username}.`,
        ...(r.emailed
          ? [`A link to choose a password was emailed to ${email}.`]
          : r.setPasswordUrl
            ? ["Give the owner this one-time link to choose a password (over a channel you trust; it is shown once):", `  ${r.setPasswordUrl}`]
            : []),
      ]);
    },
  },
  {
    name: ["operator", "orgs", "suspend"],
    usage: "ORG --reason TEXT [--server URL]",
    summary: "Suspend an org (slug or id; operator token): its users' sessions end and nobody signs in until it is restored",
    details: `Flags:
  --reason TEXT   why (1 to 200 characters), kept with the org and in its audit log

Its data stays; \`parley operator orgs restore ORG\` lifts the suspension.

${AUTH_DOC}`,
    min: 1,
    options: { ...SERVER_OPTION, reason: { type: "string" } },
    async run(ctx) {
      const reason = required(ctx.opts, "reason", "operator orgs suspend ORG --reason TEXT");
      const org = await asOperator(ctx, async (api) => {
        const { id } = await findOrg(api, ctx.args[0]!);
        return api.call("operatorSuspendOrg", { params: { id }, body: { reason } });
      });
      ctx.out.result({ org }, `${org.slug} is suspended: every session of its users has ended and nobody can sign in until it is restored.`);
    },
  },
  {
    name: ["operator", "orgs", "restore"],
    usage: "ORG [--server URL]",
    summary: "Lift an org's suspension (slug or id; operator token)",
    details: AUTH_DOC,
    min: 1,
    options: SERVER_OPTION,
    async run(ctx) {
      const org = await asOperator(ctx, async (api) => {
        const { id } = await findOrg(api, ctx.args[0]!);
        return api.call("operatorRestoreOrg", { params: { id } });
      });
      ctx.out.result({ org }, `${org.slug} is active again: its users can sign in.`);
    },
  },
];
