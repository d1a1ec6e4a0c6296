/**
 * `parley policies ...` and `parley channel labels`: the org's Cedar policies (docs/identity.md
 * "Roles and policies") — list, show, write from a file or stdin, enable and disable, validate
 * with the problems located in the text, and dry-run "who could do X on Y" — and the channel
 * labels those policies name. Policies only forbid; grants are roles (`parley roles`).
 */
import fs from "node:fs/promises";
import { ChannelActionName, ChannelLabel, MAX_CHANNEL_LABELS, PolicyAction, type DryRunUser, type OrgPolicy } from "@parley/protocol";
import type { Api, ParleyClient } from "@parley/sdk/node";
import { required, str, type Command, type Ctx, type Opts } from "../command.ts";
import { CliError, EXIT, UsageError } from "../errors.ts";
import { located } from "../failure.ts";
import { table, when } from "../render.ts";
import { directory, withClient } from "../session.ts";

const MAX_TEXT = 10_000;

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** A policy text from a file, or stdin for "-". */
async function policyText(ctx: Ctx, file: string): Promise<string> {
  const where = file === "-" ? "stdin" : file;
  let text: string;
  try {
    text = file === "-" ? await readAll(ctx.stdin) : await fs.readFile(file, "utf8");
  } catch (err) {
    throw new CliError("file_unreadable", `cannot read ${where} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, "check the path");
  }
  if (!text.trim())
    throw new CliError("invalid_file", `${where} holds no policy text`, 'write one Cedar forbid statement (docs/identity.md, "Writing a policy")');
  if (text.length > MAX_TEXT)
    throw new CliError("invalid_file", `${where} holds ${text.length} characters; a policy has at most ${MAX_TEXT}`, "split it into several policies");
  return text;
}

function policyName(value: string, flag = "the policy's name"): string {
  const name = value.trim();
  if (!name || name.length > 80) throw new UsageError(`${flag} must have 1 to 80 characters`);
  return name;
}

/** A policy by id or name. */
async function findPolicy(api: Api, ref: string): Promise<OrgPolicy> {
  const { policies } = await api.call("listPolicies");
  const found = policies.find((p) => p.id === ref) ?? policies.find((p) => p.name === ref) ?? policies.find((p) => p.name.toLowerCase() === ref.toLowerCase());
  if (!found) throw new CliError("not_found", `no policy "${ref}" in this organisation`, "list them with `parley policies`");
  return found;
}

const policyLine = (p: OrgPolicy) => [p.id, p.name, p.enabled ? "enabled" : "disabled", `updated ${when(p.updatedAt)}`, p.description];

function policyLines(p: OrgPolicy, author: string): string[] {
  return [
    `Policy "${p.name}" (${p.id}): ${p.enabled ? "enabled" : "disabled"}`,
    ...(p.description ? [`  ${p.description}`] : []),
    `  created ${when(p.createdAt)} by ${author}, updated ${when(p.updatedAt)}; text SHA-256 ${p.textHash}`,
    "",
    p.text.trimEnd(),
  ];
}

function decision(allowed: boolean): string {
  return allowed ? "allowed" : "denied";
}

function dryRunRow(u: DryRunUser, draft: boolean): string[] {
  const why = u.deniedBy.length ? `by ${u.deniedBy.map((n) => `"${n}"`).join(", ")}` : (u.reason ?? "");
  return [
    u.username,
    u.displayName,
    [u.role, ...u.customRoles].join("+"),
    draft ? `${decision(u.allowed)} → ${decision(u.allowedWithDraft)}` : decision(u.allowed),
    why,
  ];
}

/**
 * One of --set, --add, --remove, --clear (at most one) as a change to a list, each item checked
 * by `check` before anything is sent; undefined when none is given (show).
 */
export function listChange(opts: Opts, what: string, check: (item: string) => void): ((current: string[]) => string[]) | undefined {
  const given = ["set", "add", "remove", "clear"].filter((k) => opts[k] !== undefined);
  if (given.length > 1) throw new UsageError(`pass one of --set, --add, --remove or --clear, not ${given.map((k) => `--${k}`).join(" and ")}`);
  const [flag] = given;
  if (flag === undefined) return undefined;
  if (flag === "clear") return () => [];
  const items = [
    ...new Set(
      str(opts, flag)!
        .split(",")
        .map((s) => s.trim()),
    ),
  ].filter(Boolean);
  if (!items.length) throw new UsageError(`--${flag} takes a comma-separated list of ${what}${flag === "set" ? " (--clear removes them all)" : ""}`);
  if (flag !== "remove") items.forEach(check);
  if (flag === "set") return () => items;
  if (flag === "add") return (current) => [...new Set([...current, ...items])];
  return (current) => current.filter((x) => !items.includes(x));
}

/** The flags of `listChange`. */
export const LIST_OPTIONS = { set: { type: "string" }, add: { type: "string" }, remove: { type: "string" }, clear: { type: "boolean" } } as const;

/**
 * A channel by name or id for org-level commands: one you are in, else a public one, else (org
 * admins managing a private channel they are not in) the id as given.
 */
export async function orgChannel(client: ParleyClient, ref: string): Promise<{ id: string; name: string; labels: string[] | undefined }> {
  const name = ref.replace(/^#/, "");
  const { channels } = await client.api.call("listChannels");
  const mine =
    channels.find((c) => c.id === name) ?? channels.find((c) => c.name === name) ?? channels.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (mine) return { id: mine.id, name: mine.name, labels: mine.labels };
  const { channels: open } = await client.api.call("browseChannels", { query: { q: name, includeArchived: "true" } });
  const pub = open.find((c) => c.name === name) ?? open.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (pub) return { id: pub.id, name: pub.name, labels: pub.labels };
  if (/^[A-Za-z0-9_-]{16,64}$/.test(name)) return { id: name, name, labels: undefined };
  throw new CliError("not_found", `no channel "${name}" that you are in or that is public`, "name a private channel you are not in by its id");
}

function checkLabel(label: string): void {
  if (!ChannelLabel.safeParse(label).success)
    throw new UsageError(`'${label}' is not a label: 1-32 lower-case letters, digits, '-' or '_', starting with a letter or digit`);
}

const labelLine = (name: string, labels: readonly string[]) => `#${name}: ${labels.length ? labels.join(", ") : "no labels"}`;

const TEXT_DOC = `The policy is one Cedar forbid statement, read from FILE (- for stdin), e.g.

  forbid (principal, action == Action::"channel.read", resource)
  when { principal.role == "guest" && resource.labels.contains("confidential") };

The schema (principal.role, .customRoles, .groups, .mfa, .deviceApproved; resource.kind,
.labels, .archived; context.hour, .weekday, .ip) is in docs/identity.md and \`parley policies --json\`.
A text that does not validate (policy_invalid) or would leave no owner or admin able to manage
the org's security (policy_lockout) is refused, and nothing is stored.`;

export const policyCommands: Command[] = [
  {
    name: ["policies"],
    usage: "",
    summary: "The org's Cedar policies (admins with org.manage_security)",
    details: `Policies only take away what roles grant: each is one Cedar forbid statement, enforced
while enabled. Subcommands: policies show, create, update, delete, validate, dry-run
(\`parley policies create --help\` shows an example). --json adds the Cedar schema.`,
    async run(ctx) {
      const r = await withClient(ctx, ({ api }) => api.call("listPolicies"));
      ctx.out.result(r, () =>
        r.policies.length ? table(r.policies.map(policyLine)) : "No policies: roles alone decide (`parley policies create NAME --file F`).",
      );
    },
  },
  {
    name: ["policies", "show"],
    usage: "ID|NAME",
    summary: "One policy with its text",
    min: 1,
    async run(ctx) {
      const { policy, author } = await withClient(ctx, async ({ api }) => {
        const [policy, dir] = await Promise.all([findPolicy(api, ctx.args[0]!), directory(api)]);
        return { policy, author: dir.name(policy.createdBy) };
      });
      ctx.out.result({ policy }, policyLines(policy, author));
    },
  },
  {
    name: ["policies", "create"],
    usage: "NAME --file FILE|- [--description D] [--disabled]",
    summary: "Add a policy (enabled unless --disabled); refused if invalid or a lock-out",
    details: `Flags:
  --file FILE|-     the Cedar text (- reads stdin)
  --description D   what it is for (shown in lists)
  --disabled        store it without enforcing it yet (enable with \`parley policies update NAME --enable\`)

${TEXT_DOC}`,
    min: 1,
    options: { file: { type: "string" }, description: { type: "string" }, disabled: { type: "boolean" } },
    async run(ctx) {
      const name = policyName(ctx.args[0]!);
      const text = await policyText(ctx, required(ctx.opts, "file", "policies create NAME --file FILE|-"));
      const description = str(ctx.opts, "description") ?? "";
      if (description.length > 500) throw new UsageError("--description has at most 500 characters");
      const policy = await withClient(ctx, ({ api }) => api.call("createPolicy", { body: { name, description, text, enabled: ctx.opts.disabled !== true } }));
      ctx.out.result({ policy }, `Created policy "${policy.name}" (${policy.id}), ${policy.enabled ? "enforced from now on" : "disabled"}.`);
    },
  },
  {
    name: ["policies", "update"],
    usage: "ID|NAME [--file FILE|-] [--name N] [--description D] [--enable|--disable]",
    summary: "Change a policy's text, name or description, or enable/disable it (same checks as create)",
    details: `Flags:
  --file FILE|-     a new Cedar text (- reads stdin)
  --name N          a new name
  --description D   a new description
  --enable          enforce it
  --disable         keep it without enforcing it

${TEXT_DOC}`,
    min: 1,
    options: { file: { type: "string" }, name: { type: "string" }, description: { type: "string" }, enable: { type: "boolean" }, disable: { type: "boolean" } },
    async run(ctx) {
      if (ctx.opts.enable === true && ctx.opts.disable === true) throw new UsageError("pass --enable or --disable, not both");
      const file = str(ctx.opts, "file");
      const newName = str(ctx.opts, "name");
      const description = str(ctx.opts, "description");
      if (description !== undefined && description.length > 500) throw new UsageError("--description has at most 500 characters");
      const enabled = ctx.opts.enable === true ? true : ctx.opts.disable === true ? false : undefined;
      const body = {
        ...(newName !== undefined ? { name: policyName(newName, "--name") } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(enabled !== undefined ? { enabled } : {}),
        ...(file !== undefined ? { text: await policyText(ctx, file) } : {}),
      };
      if (!Object.keys(body).length) throw new UsageError("nothing to change: pass --file, --name, --description, --enable or --disable");
      const policy = await withClient(ctx, async ({ api }) => api.call("updatePolicy", { params: { id: (await findPolicy(api, ctx.args[0]!)).id }, body }));
      ctx.out.result({ policy }, `Updated policy "${policy.name}" (${policy.id}): ${policy.enabled ? "enabled" : "disabled"}.`);
    },
  },
  {
    name: ["policies", "delete"],
    usage: "ID|NAME",
    summary: "Delete a policy (what it forbade is allowed again at once)",
    min: 1,
    async run(ctx) {
      const policy = await withClient(ctx, async ({ api }) => {
        const p = await findPolicy(api, ctx.args[0]!);
        await api.call("deletePolicy", { params: { id: p.id } });
        return p;
      });
      ctx.out.result({ deleted: policy.id, name: policy.name }, `Deleted policy "${policy.name}" (${policy.id}).`);
    },
  },
  {
    name: ["policies", "validate"],
    usage: "--file FILE|-",
    summary: "Check a policy text without storing it; prints each problem with its line and column, exits 1 if invalid",
    details: TEXT_DOC,
    options: { file: { type: "string" } },
    async run(ctx) {
      const file = required(ctx.opts, "file", "policies validate --file FILE|-");
      const text = await policyText(ctx, file);
      const r = await withClient(ctx, ({ api }) => api.call("validatePolicy", { body: { text } }));
      const where = file === "-" ? "stdin" : file;
      ctx.out.result(r, r.valid ? `${where}: valid (one forbid statement that fits the schema).` : r.problems.map((p) => `${where}:${located(p)}`));
      return r.valid ? EXIT.ok : EXIT.error;
    },
  },
  {
    name: ["policies", "dry-run"],
    usage: "--action A [--channel C] [--file FILE|- [--replaces ID|NAME]] [--all]",
    summary: "Who could do an action now (and with a draft policy): the users affected",
    details: `Flags:
  --action A          a channel action (channel.read, channel.post, channel.manage,
                      channel.invite, channel.kick; needs --channel) or a catalogue permission
                      (org.read_audit, org.manage_security, …)
  --channel C         the channel (name, #name, or id for a private channel you are not in)
  --file FILE|-       a draft policy to try (- reads stdin); nothing is stored
  --replaces ID|NAME  the draft replaces this policy (an edit) instead of being added
  --all               list every active user, not only those affected

Affected: without a draft, the users denied; with one, the users whose decision it changes.
Each user is evaluated with MFA as they have it enrolled, an approved device, now and 0.0.0.0.`,
    options: {
      action: { type: "string" },
      channel: { type: "string" },
      file: { type: "string" },
      replaces: { type: "string" },
      all: { type: "boolean" },
    },
    async run(ctx) {
      const actionArg = required(ctx.opts, "action", "policies dry-run --action A");
      const action = PolicyAction.safeParse(actionArg);
      if (!action.success)
        throw new UsageError(`--action must be a channel action or catalogue permission, got '${actionArg}'`, "see `parley policies dry-run --help`");
      const channelRef = str(ctx.opts, "channel");
      const isChannelAction = ChannelActionName.safeParse(action.data).success;
      if (isChannelAction && channelRef === undefined) throw new UsageError(`${action.data} is a channel action: pass --channel C`);
      if (!isChannelAction && channelRef !== undefined) throw new UsageError(`${action.data} is an org permission: it takes no --channel`);
      const file = str(ctx.opts, "file");
      const replaces = str(ctx.opts, "replaces");
      if (replaces !== undefined && file === undefined) throw new UsageError("--replaces goes with --file (the draft that replaces it)");
      const text = file === undefined ? undefined : await policyText(ctx, file);
      const r = await withClient(ctx, async ({ api, client }) => {
        const channel = channelRef === undefined ? undefined : await orgChannel(client, channelRef);
        const replacesId = replaces === undefined ? undefined : (await findPolicy(api, replaces)).id;
        const run = await api.call("dryRunPolicy", {
          body: {
            action: action.data,
            ...(channel ? { channelId: channel.id } : {}),
            ...(text !== undefined ? { draft: { text, ...(replacesId ? { replaces: replacesId } : {}) } } : {}),
          },
        });
        return { ...run, channel: channel?.name ?? null };
      });
      const affected = new Set(r.affected);
      const shown = ctx.opts.all === true ? r.users : r.users.filter((u) => affected.has(u.userId));
      const on = r.channel ? ` on #${r.channel}` : "";
      const head =
        text === undefined
          ? `${affected.size} of ${r.users.length} active user(s) may not ${r.action}${on}.`
          : `The draft changes the decision for ${affected.size} of ${r.users.length} active user(s) (${r.action}${on}).`;
      ctx.out.result(r, () => [head, ...(shown.length ? [table(shown.map((u) => dryRunRow(u, text !== undefined)))] : [])]);
    },
  },
];

/** `parley channel labels` (listed with the channel commands). */
export const channelLabelsCommand: Command = {
  name: ["channel", "labels"],
  usage: "NAME [--set a,b | --add L | --remove L | --clear]",
  summary: "Show a channel's labels, or change them (channel admins, org admins)",
  details: `Flags:
  --set a,b    the labels, replacing the current ones
  --add L,…    add labels
  --remove L,… remove labels
  --clear      remove every label

A label is 1-32 lower-case letters, digits, '-' or '_' (at most ${MAX_CHANNEL_LABELS} a channel; DMs have
none). Org policies name them: resource.labels.contains("confidential").`,
  min: 1,
  options: LIST_OPTIONS,
  async run(ctx) {
    const change = listChange(ctx.opts, "labels", checkLabel);
    const channel = await withClient(ctx, async ({ api, client }) => {
      const ch = await orgChannel(client, ctx.args[0]!);
      const current = async () => ch.labels ?? (await api.call("getChannel", { params: { channelId: ch.id } })).labels;
      if (!change) return { id: ch.id, name: ch.name, labels: await current() };
      const labels = change(ctx.opts.set !== undefined || ctx.opts.clear === true ? [] : await current());
      if (labels.length > MAX_CHANNEL_LABELS) throw new UsageError(`a channel has at most ${MAX_CHANNEL_LABELS} labels; these would be ${labels.length}`);
      const { id, name, labels: now } = await api.call("setChannelLabels", { params: { channelId: ch.id }, body: { labels } });
      return { id, name, labels: now };
    });
    ctx.out.result({ channel }, labelLine(channel.name, channel.labels));
  },
};
