/**
 * The SCIM schemas Parley serves (RFC 7643): the attributes of Users and Groups it keeps,
 * with their types and mutability, and the discovery documents built from them
 * (ServiceProviderConfig, ResourceTypes, Schemas; RFC 7644 §4).
 *
 * Attributes of the core User schema that Parley does not keep (title, phoneNumbers, …)
 * and the whole enterprise extension are accepted and ignored: identity providers send
 * them by default, and refusing them would make every provisioning call fail.
 */

export const URN = {
  user: "urn:ietf:params:scim:schemas:core:2.0:User",
  group: "urn:ietf:params:scim:schemas:core:2.0:Group",
  enterpriseUser: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
  listResponse: "urn:ietf:params:scim:api:messages:2.0:ListResponse",
  patchOp: "urn:ietf:params:scim:api:messages:2.0:PatchOp",
  searchRequest: "urn:ietf:params:scim:api:messages:2.0:SearchRequest",
  serviceProviderConfig: "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
  resourceType: "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
  schema: "urn:ietf:params:scim:schemas:core:2.0:Schema",
} as const;

/** Largest page a list returns (ServiceProviderConfig filter.maxResults). */
export const MAX_RESULTS = 200;

export type ResourceKind = "User" | "Group";

/** One attribute (RFC 7643 §7), as served at /Schemas and used to check filters and PATCH paths. */
export interface AttrDef {
  name: string;
  type: "string" | "boolean" | "dateTime" | "reference" | "complex";
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: "readOnly" | "readWrite" | "immutable" | "writeOnly";
  returned?: "always" | "default" | "never" | "request";
  uniqueness?: "none" | "server" | "global";
  referenceTypes?: string[];
  canonicalValues?: string[];
  subAttributes?: AttrDef[];
  description: string;
}

const str = (name: string, description: string, more: Partial<AttrDef> = {}): AttrDef => ({ name, type: "string", description, ...more });

const USER_ATTRS: AttrDef[] = [
  str(
    "userName",
    "Unique identifier for the user at the identity provider. Parley's username is derived from it: lowercased, and the part before @ when it is an email address.",
    {
      required: true,
      uniqueness: "server",
    },
  ),
  {
    name: "name",
    type: "complex",
    description: "The components of the user's real name.",
    subAttributes: [
      str("formatted", "The full name, formatted for display."),
      str("familyName", "Family name."),
      str("givenName", "Given name."),
      str("middleName", "Middle name(s)."),
      str("honorificPrefix", "Honorific prefix, e.g. Ms."),
      str("honorificSuffix", "Honorific suffix, e.g. III."),
    ],
  },
  str("displayName", "The name shown in Parley (at most 80 characters); when absent, name.formatted, given and family name, or userName."),
  { name: "active", type: "boolean", description: "Whether the user may sign in. false deactivates: sessions end and every device leaves every MLS group." },
  str("password", "A password for signing in with Parley directly; checked against the org's password policy. Never returned.", {
    mutability: "writeOnly",
    returned: "never",
  }),
  {
    name: "emails",
    type: "complex",
    multiValued: true,
    description: "Email addresses. Parley keeps one per user (the primary one, else the first of type work, else the first); unique in the org.",
    subAttributes: [
      str("value", "The address."),
      str("display", "A label for the address."),
      str("type", "work, home or other.", { canonicalValues: ["work", "home", "other"] }),
      { name: "primary", type: "boolean", description: "The preferred address." },
    ],
  },
  {
    name: "groups",
    type: "complex",
    multiValued: true,
    mutability: "readOnly",
    description: "Groups the user is in (change them through the Group resource).",
    subAttributes: [
      str("value", "The group's id.", { mutability: "readOnly", caseExact: true }),
      { name: "$ref", type: "reference", referenceTypes: ["Group"], mutability: "readOnly", description: "The group's URI." },
      str("display", "The group's displayName.", { mutability: "readOnly" }),
      str("type", "direct (Parley has no nested groups).", { mutability: "readOnly", canonicalValues: ["direct"] }),
    ],
  },
];

const GROUP_ATTRS: AttrDef[] = [
  str("displayName", "The group's name (unique in the org).", { required: true, uniqueness: "server" }),
  {
    name: "members",
    type: "complex",
    multiValued: true,
    description: "The users in the group (Parley has no nested groups).",
    subAttributes: [
      str("value", "The user's id.", { mutability: "immutable", caseExact: true }),
      { name: "$ref", type: "reference", referenceTypes: ["User"], mutability: "immutable", description: "The user's URI." },
      str("display", "The user's displayName.", { mutability: "readOnly" }),
      str("type", "User.", { mutability: "immutable", canonicalValues: ["User"] }),
    ],
  },
];

/** id, externalId and meta: on every resource (RFC 7643 §3.1), not part of the schema documents. */
const COMMON_ATTRS: AttrDef[] = [
  str("id", "Parley's id of the resource.", { mutability: "readOnly", returned: "always", caseExact: true, uniqueness: "server" }),
  str("externalId", "The identity provider's id of the resource.", { caseExact: true }),
  {
    name: "meta",
    type: "complex",
    mutability: "readOnly",
    description: "Resource metadata.",
    subAttributes: [
      str("resourceType", "User or Group.", { mutability: "readOnly", caseExact: true }),
      { name: "created", type: "dateTime", mutability: "readOnly", description: "When it was created." },
      { name: "lastModified", type: "dateTime", mutability: "readOnly", description: "When SCIM last changed it." },
      { name: "location", type: "reference", mutability: "readOnly", referenceTypes: ["uri"], description: "Its URI." },
      str("version", "Its ETag.", { mutability: "readOnly", caseExact: true }),
    ],
  },
];

/** Core User attributes Parley does not keep: accepted in bodies, filters and PATCH paths, ignored. */
const IGNORED_USER_ATTRS = [
  "nickName",
  "profileUrl",
  "title",
  "userType",
  "preferredLanguage",
  "locale",
  "timezone",
  "phoneNumbers",
  "ims",
  "photos",
  "addresses",
  "entitlements",
  "roles",
  "x509Certificates",
];

const ATTRS: Record<ResourceKind, AttrDef[]> = { User: [...COMMON_ATTRS, ...USER_ATTRS], Group: [...COMMON_ATTRS, ...GROUP_ATTRS] };
const SCHEMA_URN: Record<ResourceKind, string> = { User: URN.user, Group: URN.group };

/** An attribute as a path names it: a kept attribute (with its definition), one Parley ignores, or none. */
export type AttrLookup = { kind: "kept"; def: AttrDef } | { kind: "ignored"; name: string } | { kind: "unknown" };

/** Look an attribute up by name, case-insensitively (RFC 7643 §2.1). */
export function lookupAttr(resource: ResourceKind, name: string): AttrLookup {
  const lower = name.toLowerCase();
  const def = ATTRS[resource].find((a) => a.name.toLowerCase() === lower);
  if (def) return { kind: "kept", def };
  if (lower === "schemas") return { kind: "ignored", name: "schemas" };
  if (resource === "User") {
    const ignored = IGNORED_USER_ATTRS.find((a) => a.toLowerCase() === lower);
    if (ignored) return { kind: "ignored", name: ignored };
  }
  return { kind: "unknown" };
}

/** A sub-attribute of a complex attribute, case-insensitively. */
export function lookupSubAttr(def: AttrDef, name: string): AttrDef | undefined {
  const lower = name.toLowerCase();
  return def.subAttributes?.find((a) => a.name.toLowerCase() === lower);
}

/**
 * Split a schema URN off an attribute path (`urn:…:core:2.0:User:name.givenName`). Returns
 * the path without it, or "ignored" for an extension Parley does not keep, or "unknown".
 */
export function stripSchemaUrn(resource: ResourceKind, path: string): string | "ignored" | "unknown" {
  if (!/^urn:/i.test(path)) return path;
  const lower = path.toLowerCase();
  const own = SCHEMA_URN[resource].toLowerCase();
  if (lower.startsWith(`${own}:`)) return path.slice(own.length + 1);
  if (resource === "User" && (lower === URN.enterpriseUser.toLowerCase() || lower.startsWith(`${URN.enterpriseUser.toLowerCase()}:`))) return "ignored";
  return "unknown";
}

// ---- discovery documents (RFC 7644 §4) ---------------------------------------------

/** The attribute as /Schemas shows it, with the RFC's defaults filled in. */
function served(a: AttrDef): Record<string, unknown> {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued ?? false,
    description: a.description,
    required: a.required ?? false,
    ...(a.type === "string" || a.type === "reference" ? { caseExact: a.caseExact ?? false } : {}),
    ...(a.canonicalValues ? { canonicalValues: a.canonicalValues } : {}),
    ...(a.referenceTypes ? { referenceTypes: a.referenceTypes } : {}),
    mutability: a.mutability ?? "readWrite",
    returned: a.returned ?? "default",
    uniqueness: a.uniqueness ?? "none",
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(served) } : {}),
  };
}

export function schemaDocuments(base: string): Array<Record<string, unknown>> {
  const doc = (id: string, name: string, description: string, attrs: AttrDef[]) => ({
    schemas: [URN.schema],
    id,
    name,
    description,
    attributes: attrs.map(served),
    meta: { resourceType: "Schema", location: `${base}/Schemas/${id}` },
  });
  return [doc(URN.user, "User", "User Account", USER_ATTRS), doc(URN.group, "Group", "Group", GROUP_ATTRS)];
}

export function resourceTypeDocuments(base: string): Array<Record<string, unknown>> {
  const doc = (name: ResourceKind, endpoint: string, description: string) => ({
    schemas: [URN.resourceType],
    id: name,
    name,
    endpoint,
    description,
    schema: SCHEMA_URN[name],
    schemaExtensions: [],
    meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/${name}` },
  });
  return [doc("User", "/Users", "User Account"), doc("Group", "/Groups", "Group")];
}

export function serviceProviderConfig(base: string): Record<string, unknown> {
  return {
    schemas: [URN.serviceProviderConfig],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "OAuth Bearer Token",
        description: "A SCIM token of the org, created by an org admin in Parley (Authorization: Bearer <token>)",
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${base}/ServiceProviderConfig` },
  };
}
