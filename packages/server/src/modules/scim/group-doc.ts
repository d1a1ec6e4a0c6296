/**
 * A SCIM Group (RFC 7643 §4.2) and back: the resource built from scim_groups and its
 * members, the SQL fields its filters read, and the checks on a POST/PUT body or a patched
 * document. Members are users of the org; Parley has no nested groups.
 */
import { sql } from "kysely";
import type { ScimGroupsTable } from "../../platform/db/tables.ts";
import { invalidValue } from "./errors.ts";
import type { Collection, FieldMap } from "./filter-sql.ts";
import { etagOf, isoTime } from "./list.ts";
import { lookupAttr, URN } from "./schemas.ts";
import type { ScimDoc } from "./patch.ts";

export interface GroupState {
  displayName: string;
  externalId: string | null;
  /** User ids, in the order given. */
  members: string[];
}

type Member = { user_id: string; display_name: string };

function groupContent(g: ScimGroupsTable, members: Member[], base: string): ScimDoc {
  return {
    schemas: [URN.group],
    id: g.id,
    ...(g.external_id !== null ? { externalId: g.external_id } : {}),
    displayName: g.display_name,
    members: members.map((m) => ({ value: m.user_id, $ref: `${base}/Users/${m.user_id}`, display: m.display_name, type: "User" })),
  };
}

export function groupResource(g: ScimGroupsTable, members: Member[], base: string): ScimDoc {
  const content = groupContent(g, members, base);
  return {
    ...content,
    meta: {
      resourceType: "Group",
      created: isoTime(Number(g.created_at)),
      lastModified: isoTime(Number(g.updated_at)),
      location: `${base}/Groups/${g.id}`,
      version: etagOf(content),
    },
  };
}

export function groupFieldMap(): FieldMap {
  const members: Collection = {
    def: (lookupAttr("Group", "members") as { kind: "kept"; def: Collection["def"] }).def,
    fields: {
      value: { type: "string", sql: sql.ref("gm.user_id"), caseExact: true },
      display: { type: "string", sql: sql.ref("mu.display_name"), caseExact: false },
      type: { type: "string", sql: sql`'User'`, caseExact: false },
      $ref: { type: "refused", why: "filter on members.value instead" },
    },
    some: (cond) => sql`exists (select 1 from scim_group_members gm join users mu on mu.id = gm.user_id where gm.group_id = g.id and ${cond})`,
  };
  return {
    resource: "Group",
    fields: {
      id: { type: "string", sql: sql.ref("g.id"), caseExact: true },
      externalid: { type: "string", sql: sql.ref("g.external_id"), caseExact: true },
      displayname: { type: "string", sql: sql.ref("g.display_name"), caseExact: false },
      schemas: { type: "const", values: [URN.group] },
      "meta.resourcetype": { type: "const", values: ["Group"] },
      "meta.created": { type: "dateTime", sql: sql.ref("g.created_at") },
      "meta.lastmodified": { type: "dateTime", sql: sql.ref("g.updated_at") },
      "meta.location": { type: "refused", why: "filter on id instead" },
      "meta.version": { type: "refused", why: "use If-None-Match instead" },
    },
    collections: { members },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A POST/PUT body with canonical attribute names (others dropped). */
export function canonicalGroupBody(body: unknown): ScimDoc {
  if (!isObject(body)) throw invalidValue("the body must be a Group JSON object");
  const out: ScimDoc = {};
  for (const [key, value] of Object.entries(body)) {
    const found = lookupAttr("Group", key);
    if (found.kind === "kept") out[found.def.name] = value;
  }
  return out;
}

/** The state a Group document asks for; bad values are 400 invalidValue. Whether members exist is checked by the write. */
export function groupStateFrom(doc: ScimDoc): GroupState {
  if (typeof doc.displayName !== "string" || !doc.displayName.trim()) throw invalidValue("displayName is required");
  const displayName = doc.displayName.trim();
  if (displayName.length > 256) throw invalidValue("displayName is longer than 256 characters");
  let externalId: string | null = null;
  if (doc.externalId !== undefined && doc.externalId !== null) {
    if (typeof doc.externalId !== "string" || doc.externalId.length > 256) throw invalidValue("externalId must be a string of at most 256 characters");
    externalId = doc.externalId.trim() || null;
  }
  const members: string[] = [];
  if (doc.members !== undefined && doc.members !== null) {
    if (!Array.isArray(doc.members)) throw invalidValue("members must be a list");
    for (const [i, m] of doc.members.entries()) {
      if (!isObject(m)) throw invalidValue(`members[${i}] must be an object`);
      const valueKey = Object.keys(m).find((k) => k.toLowerCase() === "value");
      const typeKey = Object.keys(m).find((k) => k.toLowerCase() === "type");
      const value = valueKey === undefined ? undefined : m[valueKey];
      if (typeof value !== "string" || !value) throw invalidValue(`members[${i}] needs the user's id as value`);
      if (typeKey !== undefined && String(m[typeKey]).toLowerCase() !== "user")
        throw invalidValue(`members[${i}]: only users can be members (no nested groups)`);
      if (!members.includes(value)) members.push(value);
    }
  }
  return { displayName, externalId, members };
}
