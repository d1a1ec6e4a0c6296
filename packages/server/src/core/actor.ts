/**
 * Who acts. Every command takes an Actor; authorization, audit entries and
 * `created_by` columns read it. Each kind is a real party — never a fake user:
 * - `device`: a user's device, signed in (a session of the user on that device);
 * - `system`: the server itself or an operator's offline admin command (`parley admin …`),
 *   acting with an owner's authority in one org;
 * - `scim`: an identity provider provisioning the org over SCIM 2.0 with one of the org's
 *   SCIM tokens (modules/scim), with the authority of the role that created the token;
 * - `idp`: an org's identity provider acting on its own (the LDAP directory's sync and
 *   sign-in provisioning), with an owner's authority.
 * Bots, service tokens and MQTT devices join this union with the issues that bring them.
 */
import type { OrgRole } from "@parley/protocol";
import type { PrincipalAccess } from "../modules/access/access-state.ts";

/** A user's signed-in device (one session on one device of one user in one org). */
export interface DeviceActor {
  kind: "device";
  orgId: string;
  userId: string;
  deviceId: string;
  sessionId: string;
  role: OrgRole;
  /** The org requires MFA of the user and they have none: the session may only enrol an authenticator. */
  restricted?: "mfa_enrollment";
  /** A session opened with an API key is limited to the key's scopes (undefined: not limited). */
  scopes?: Array<"read" | "write" | "admin">;
  /** The OAuth2 app whose access token opened this session (modules/oauth): REST only, no end-to-end-encryption routes. */
  oauthApp?: string;
  /** The org's custom roles and policies and the user's attributes, when the org has any (modules/access/org-access.ts). */
  access?: PrincipalAccess;
}

/** The server or an operator's offline admin command, with an owner's authority in `orgId`. */
export interface SystemActor {
  kind: "system";
  orgId: string;
  role: "owner";
  /** What acted: "cli" (offline admin), "server" (scheduled or automatic work). */
  via: "cli" | "server";
}

/**
 * An identity provider's SCIM client, signed in with SCIM token `tokenId` of `orgId`. Its
 * authority is the role of whoever created the token (an admin's token cannot touch owners
 * or admins, an owner's can); it is never a user and has no device.
 */
export interface ScimActor {
  kind: "scim";
  orgId: string;
  tokenId: string;
  role: "owner" | "admin";
}

/**
 * An org's identity provider acting on its own: the LDAP directory's sync and sign-in
 * provisioning create, update, deactivate and reactivate the accounts it owns, with an
 * owner's authority in `orgId` (the rules that protect the last owner still apply).
 */
export interface IdpActor {
  kind: "idp";
  orgId: string;
  role: "owner";
  /** Which identity provider: the LDAP directory, or an OIDC provider's sign-in provisioning (modules/sso). */
  idp: "ldap" | "oidc" | "saml";
}

export type Actor = DeviceActor | SystemActor | ScimActor | IdpActor;

/** Written where a row records who made it (`created_by`) when the system did. */
const SYSTEM_ACTOR_ID = "system";

/** The system actor of an org. */
export function systemActor(orgId: string, via: SystemActor["via"] = "cli"): SystemActor {
  return { kind: "system", orgId, role: "owner", via };
}

/** The identity provider of an org, acting (directory sync, sign-in provisioning). */
export function idpActor(orgId: string, idp: IdpActor["idp"]): IdpActor {
  return { kind: "idp", orgId, role: "owner", idp };
}

/** The acting user, or undefined when no user acts (the system). */
export function actingUserId(a: Actor): string | undefined {
  return a.kind === "device" ? a.userId : undefined;
}

/** What a `created_by`-style column records for this actor (a SCIM client: its token's id). */
export function actorRef(a: Actor): string {
  if (a.kind === "idp") return `idp:${a.idp}`;
  return a.kind === "device" ? a.userId : a.kind === "scim" ? a.tokenId : SYSTEM_ACTOR_ID;
}
