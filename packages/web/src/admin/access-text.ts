/**
 * Words for the Roles & policies pages: what each catalogue permission lets a holder do,
 * the example policies offered in the editor, how a refused policy or role change reads,
 * and the parsing of a channel's label list as an admin types it.
 */
import { isParleyError } from "@parley/sdk";
import { ChannelLabel, MAX_CHANNEL_LABELS, type OrgPermission, type PolicyAction } from "@parley/protocol";
import { describeError } from "../client/session.ts";

/** What each permission of the catalogue allows (permissions.ts on the server says the same). */
export const PERMISSION_TEXT: Record<OrgPermission, string> = {
  "org.invite": "Create and revoke invite links",
  "org.manage_users": "List all users, deactivate and reactivate them, see and revoke their devices",
  "org.manage_roles": "Change users' roles and custom roles (owner and admin grants still need an owner)",
  "org.manage_admins": "Grant or revoke owner and admin (owners only)",
  "org.list_users": "See the directory of users",
  "channel.create_public": "Create public channels",
  "channel.create_private": "Create private channels",
  "channel.open_dm": "Open direct messages and group DMs",
  "channel.browse": "Browse and join public channels",
  "channel.manage_any": "Manage any channel (rename, archive, labels, remove members) without being its admin",
  "org.read_audit": "Read the org's audit log (with its personal data)",
  "org.manage_emoji": "Upload and delete the org's custom emoji",
  "org.manage_security": "Set the org's security policies (passwords, MFA, sessions, policies)",
  "org.manage_compliance": "Set retention, place and release legal holds (compliance officers; owners only by default)",
  "e2ee.configure": "Choose the org's encryption cipher suite",
  "e2ee.directory": "Use the device and key directories (needed to take part in encrypted channels)",
};

/** The channel actions a policy or a dry run can name, with what they mean. */
export const CHANNEL_ACTION_TEXT: Record<Extract<PolicyAction, `channel.${"read" | "post" | "manage" | "invite" | "kick" | "moderate"}`>, string> = {
  "channel.read": "Read the channel (messages, members, threads)",
  "channel.post": "Post in the channel",
  "channel.manage": "Rename, archive, set member roles",
  "channel.invite": "Add members",
  "channel.kick": "Remove members",
  "channel.moderate": "Delete others' messages",
};

/** Whether a dry-run action is about a channel (then it needs one). */
export const isChannelAction = (a: string): a is keyof typeof CHANNEL_ACTION_TEXT => a in CHANNEL_ACTION_TEXT;

/** Example policies the editor can insert (each is one `forbid`). */
export const POLICY_EXAMPLES: { label: string; name: string; text: string }[] = [
  {
    label: "Guests may not read confidential channels",
    name: "confidential: no guests",
    text: 'forbid (principal, action == Action::"channel.read", resource)\nwhen { principal.role == "guest" && resource.labels.contains("confidential") };',
  },
  {
    label: "Posting in confidential channels needs a second factor",
    name: "confidential: post with MFA",
    text: 'forbid (principal, action == Action::"channel.post", resource)\nwhen { resource.labels.contains("confidential") }\nunless { principal.mfa };',
  },
  {
    label: "The audit log only from the office network",
    name: "audit log: office only",
    text: 'forbid (principal, action == Action::"org.read_audit", resource)\nunless { context.ip.isInRange(ip("10.0.0.0/8")) };',
  },
];

/** A refused policy save or validation, ready to show: the summary and any problems or policies it names. */
export interface PolicyRefusal {
  message: string;
  problems: { message: string; help: string | null }[];
  policies: string[];
}

function listOf<T>(details: unknown, key: string, pick: (x: unknown) => T | undefined): T[] {
  const v = details && typeof details === "object" ? (details as Record<string, unknown>)[key] : undefined;
  return Array.isArray(v) ? v.flatMap((x) => pick(x) ?? []) : [];
}

const problemOf = (x: unknown) =>
  x && typeof x === "object" && typeof (x as { message?: unknown }).message === "string"
    ? { message: (x as { message: string }).message, help: typeof (x as { help?: unknown }).help === "string" ? (x as { help: string }).help : null }
    : undefined;
const nameOf = (x: unknown) => (typeof x === "string" ? x : undefined);

/** Say why a policy change (create, update, enable) was refused, naming what the server named. */
export function describePolicyRefusal(err: unknown): PolicyRefusal {
  if (isParleyError(err, "policy_invalid"))
    return { message: "The policy is not valid, so nothing was saved:", problems: listOf(err.details, "problems", problemOf), policies: [] };
  if (isParleyError(err, "policy_lockout")) {
    const policies = listOf(err.details, "policies", nameOf);
    return {
      message:
        "Refused: with this change no owner or admin could still manage the organisation's security, so nobody could undo it. " +
        (policies.length ? "The policies that would deny every admin:" : "Change the conditions so at least one admin keeps access."),
      problems: [],
      policies,
    };
  }
  if (isParleyError(err, "already_exists")) return { message: "A policy with that name already exists. Choose another name.", problems: [], policies: [] };
  return { message: describeAccessError(err), problems: [], policies: [] };
}

/** A refusal of a role, label or policy route; a policy denial ("forbidden" naming policies) says which. */
export function describeAccessError(err: unknown): string {
  if (isParleyError(err, "forbidden")) return err.message ? `Not allowed: ${err.message}.` : "You are not allowed to do that.";
  if (isParleyError(err, "already_exists")) return "That name is taken. Choose another one.";
  return describeError(err);
}

/**
 * The labels an admin typed (separated by commas or spaces), lower-cased and de-duplicated,
 * or the reason they cannot be saved — checked here with the protocol's own rule, so a typo
 * is named before the server is asked.
 */
export function parseLabels(input: string): { labels: string[] } | { error: string } {
  const labels = [...new Set(input.split(/[\s,]+/).flatMap((s) => (s ? [s.toLowerCase()] : [])))];
  const bad = labels.find((l) => !ChannelLabel.safeParse(l).success);
  if (bad !== undefined) return { error: `"${bad}" is not a label: use 1–32 lower-case letters, digits, "-" or "_", starting with a letter or digit.` };
  if (labels.length > MAX_CHANNEL_LABELS) return { error: `A channel has at most ${MAX_CHANNEL_LABELS} labels.` };
  return { labels };
}
