/**
 * Parley's Cedar schema and the calls into @cedar-policy/cedar-wasm (all synchronous). An
 * org's enabled policies are pre-parsed once per version as one policy set, together with a
 * base `permit` for everything: the built-in role matrix has already allowed the request
 * when Cedar is asked, so the answer is "deny" exactly when an org `forbid` matches.
 */
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { ChannelActionName, OrgPermission } from "@parley/protocol";
import type { ChannelAttrs, CompiledPolicy } from "./access-state.ts";

const quoted = (names: readonly string[]) => names.map((n) => JSON.stringify(n)).join(", ");

/** The schema every org policy is validated against (docs/identity.md, "Roles and policies"). */
export const CEDAR_SCHEMA = `// Parley's Cedar schema (API version 9).
entity Org;
entity User in [Org] {
  role: String,                // built-in org role: "owner" | "admin" | "member" | "guest"
  customRoles: Set<String>,    // names of the custom org roles the user holds
  groups: Set<String>,         // names of the SCIM groups the user is in
  mfa: Bool,                   // the session was opened with a second factor
  deviceApproved: Bool,        // the device is approved (cross-signed)
};
entity Channel in [Org] {
  kind: String,                // "public" | "private" | "dm" | "group_dm"
  labels: Set<String>,         // the channel's labels, e.g. "confidential"
  archived: Bool,
};
type RequestContext = {
  hour: Long,                  // 0-23, UTC
  weekday: Long,               // 0 (Sunday) - 6, UTC
  ip: ipaddr,                  // the caller's address (0.0.0.0 when unknown)
};
action ${quoted(ChannelActionName.options)}
  appliesTo { principal: [User], resource: [Channel], context: RequestContext };
action ${quoted(OrgPermission.options)}
  appliesTo { principal: [User], resource: [Org], context: RequestContext };
`;

const BASE_ID = "parley-base-permit";

/** One problem with a policy text, as the API reports it. */
export interface PolicyProblem {
  message: string;
  help: string | null;
  /** 1-based line and column (characters) where Cedar located it. */
  at?: { line: number; column: number } | null;
}

/** Cedar's byte offset into `text` as a 1-based line and column in characters (what editors show). */
function position(text: string, byteOffset: number): { line: number; column: number } {
  const before = Buffer.from(text, "utf8").subarray(0, byteOffset).toString("utf8").split("\n");
  return { line: before.length, column: [...before[before.length - 1]!].length + 1 };
}

const problem = (text: string, e: cedar.DetailedError): PolicyProblem => {
  const start = e.sourceLocations?.[0]?.start;
  return { message: e.message, help: e.help ?? null, at: start === undefined ? null : position(text, start) };
};
const problems = (text: string, errs: readonly cedar.DetailedError[]): PolicyProblem[] => errs.map((e) => problem(text, e));

/** SHA-256 (hex) of a policy text, as audit entries and views record it. */
export function policyTextHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Check a policy text: exactly one static `forbid` statement that validates against the schema. Empty: fine. */
export function checkPolicyText(text: string): PolicyProblem[] {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === "failure") return problems(text, parts.errors);
  if (parts.policy_templates.length > 0) return [{ message: "templates (?principal, ?resource) are not supported", help: "write a static policy" }];
  if (parts.policies.length !== 1)
    return [{ message: `expected exactly one policy statement, found ${parts.policies.length}`, help: "store each statement as its own policy" }];
  const json = cedar.policyToJson(parts.policies[0]!);
  if (json.type === "failure") return problems(text, json.errors);
  if (json.json.effect !== "forbid") {
    return [
      { message: "org policies may only forbid", help: "grants come from roles: define a custom role (or change the user's role) instead of a permit policy" },
    ];
  }
  const v = cedar.validate({ schema: CEDAR_SCHEMA, policies: { staticPolicies: { policy: text } }, validationSettings: { mode: "strict" } });
  if (v.type === "failure") return problems(text, v.errors);
  return v.validationErrors.map((e) => problem(text, e.error));
}

/** Pre-parse an org's enabled policies under a fresh id; the id, or null when there are none. */
export function compilePolicySet(key: string, policies: readonly CompiledPolicy[]): string | null {
  if (policies.length === 0) return null;
  const staticPolicies: Record<string, string> = { [BASE_ID]: "permit (principal, action, resource);" };
  for (const p of policies) staticPolicies[p.id] = p.text;
  const out = cedar.preparsePolicySet(key, { staticPolicies });
  // Stored texts were checked when written; one that no longer parses (a Cedar upgrade) must not open everything.
  if (out.type === "failure") throw new Error(`org policy set ${key} does not parse: ${out.errors.map((e) => e.message).join("; ")}`);
  return key;
}

/** The principal as Cedar sees it. */
export interface CedarPrincipal {
  userId: string;
  orgId: string;
  role: string;
  customRoles: readonly string[];
  groups: readonly string[];
  mfa: boolean;
  deviceApproved: boolean;
}

/** The resource as Cedar sees it: the org, or one of its channels. */
export type CedarResource = { type: "org"; orgId: string } | { type: "channel"; orgId: string; id: string; attrs: ChannelAttrs };

/** What Cedar decided: the ids of the forbids that matched (or errored: those deny too). Empty: allowed. */
export function cedarDenials(setId: string, principal: CedarPrincipal, action: string, resource: CedarResource, context: { ip: string; at: number }): string[] {
  const org = { type: "Org", id: principal.orgId };
  const entities: cedar.EntityJson[] = [
    { uid: org, attrs: {}, parents: [] },
    {
      uid: { type: "User", id: principal.userId },
      attrs: {
        role: principal.role,
        customRoles: [...principal.customRoles],
        groups: [...principal.groups],
        mfa: principal.mfa,
        deviceApproved: principal.deviceApproved,
      },
      parents: [org],
    },
  ];
  let resourceUid = org;
  if (resource.type === "channel") {
    resourceUid = { type: "Channel", id: resource.id };
    entities.push({
      uid: resourceUid,
      attrs: { kind: resource.attrs.kind, labels: [...resource.attrs.labels], archived: resource.attrs.archived },
      parents: [org],
    });
  }
  const at = new Date(context.at);
  const ip = context.ip.startsWith("::ffff:") ? context.ip.slice(7) : context.ip;
  const answer = cedar.statefulIsAuthorized({
    principal: { type: "User", id: principal.userId },
    action: { type: "Action", id: action },
    resource: resourceUid,
    context: { hour: at.getUTCHours(), weekday: at.getUTCDay(), ip: { __extn: { fn: "ip", arg: isIP(ip) ? ip : "0.0.0.0" } } },
    preparsedPolicySetId: setId,
    entities,
  });
  // A call Cedar could not evaluate at all is a denial: an org that set policies gets them or nothing.
  if (answer.type === "failure") return ["(policy evaluation failed)"];
  const { decision, diagnostics } = answer.response;
  const errored = diagnostics.errors.map((e) => e.policyId);
  if (decision === "deny") return [...new Set([...diagnostics.reason, ...errored])];
  return errored;
}
