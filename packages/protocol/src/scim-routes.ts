/**
 * SCIM 2.0 provisioning, the admin side (issue 10). The SCIM service itself is at
 * `/scim/v2` (RFC 7643/7644, its own media type `application/scim+json`, error format and
 * bearer tokens: docs/identity.md); these routes manage it from the API:
 *
 * - SCIM tokens: per-org bearer tokens for the identity provider, shown once, stored hashed,
 *   optionally expiring, revocable. A token acts with the authority of its creator's role:
 *   an admin's token provisions members and guests, an owner's may also change admins.
 * - Group mappings: the groups the identity provider pushed, each mapped to an org role and
 *   a set of channels. Members of a mapped group get the role (the highest of their groups'
 *   roles; owners are never changed) and membership of the channels; leaving the group takes
 *   back what the mapping gave.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id, Timestamp } from "./models.ts";

/** Where the SCIM service is mounted on the server (RFC 7644 base URI). */
export const SCIM_PREFIX = "/scim/v2";

/** An org role a SCIM group can map to (never owner). */
export const ScimMappedRole = z.enum(["admin", "member", "guest"]);
export type ScimMappedRole = z.infer<typeof ScimMappedRole>;

/** A SCIM token as admins see it (never the secret, which is shown once at creation). */
export const ScimToken = z.object({
  id: Id,
  name: z.string(),
  /** The role it acts with: its creator's at creation. */
  authority: z.enum(["owner", "admin"]),
  /** The user who created it ("system" for the offline admin). */
  createdBy: z.string(),
  createdAt: Timestamp,
  expiresAt: Timestamp.nullable(),
  /** Last successful use (updated at most once a minute). */
  lastUsedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
});
export type ScimToken = z.infer<typeof ScimToken>;

/** What a SCIM group gives its members. */
export const ScimGroupMapping = z.object({
  /** The org role members get (the highest of their mapped groups'); null maps no role. */
  role: ScimMappedRole.nullable(),
  /** Public or private channels members are added to. */
  channelIds: z.array(Id).max(100),
});
export type ScimGroupMapping = z.infer<typeof ScimGroupMapping>;

/** A group the identity provider pushed over SCIM, with its mapping. */
export const ScimGroup = z.object({
  id: Id,
  displayName: z.string(),
  externalId: z.string().nullable(),
  /** How many users are in it. */
  members: z.number().int().nonnegative(),
  mapping: ScimGroupMapping,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ScimGroup = z.infer<typeof ScimGroup>;

export const scimRoutes = {
  createScimToken: route({
    method: "POST",
    path: "/scim/tokens",
    tag: "scim",
    auth: "user",
    status: 201,
    summary: "Create a SCIM bearer token for the org's identity provider (admins); the token is shown this once",
    body: z.object({
      name: z
        .string()
        .trim()
        .min(1)
        .max(80)
        .regex(/^[^\n\r\t]+$/, "single line"),
      /** Days until it stops working; omitted: it does not expire (revoke it instead). */
      expiresInDays: z.number().int().min(1).max(3650).optional(),
    }),
    response: ScimToken.extend({ token: z.string(), scimUrl: z.string() }),
    errors: ["forbidden"],
    noStore: true,
  }),
  listScimTokens: route({
    method: "GET",
    path: "/scim/tokens",
    tag: "scim",
    auth: "user",
    summary: "The org's SCIM tokens, revoked ones included (admins)",
    response: z.object({ tokens: z.array(ScimToken) }),
    errors: ["forbidden"],
    noStore: true,
  }),
  revokeScimToken: route({
    method: "DELETE",
    path: "/scim/tokens/:id",
    tag: "scim",
    auth: "user",
    summary: "Revoke a SCIM token: the identity provider's next request is refused (admins)",
    params: z.object({ id: Id }),
    response: null,
    errors: ["forbidden"],
  }),
  listScimGroups: route({
    method: "GET",
    path: "/scim/groups",
    tag: "scim",
    auth: "user",
    summary: "Groups the identity provider pushed over SCIM, with their mappings (admins)",
    response: z.object({ groups: z.array(ScimGroup) }),
    errors: ["forbidden"],
  }),
  setScimGroupMapping: route({
    method: "PUT",
    path: "/scim/groups/:id/mapping",
    tag: "scim",
    auth: "user",
    summary:
      "Map a SCIM group to an org role and channels (admins; a mapping that grants or takes away admin needs an owner). Applied to the group's members at once, all or nothing",
    params: z.object({ id: Id }),
    body: ScimGroupMapping,
    response: ScimGroup,
    errors: ["forbidden", "bad_request", "channel_archived"],
  }),
} as const;
