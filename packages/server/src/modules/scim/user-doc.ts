/**
 * A Parley user as a SCIM User (RFC 7643 §4.1) and back: the resource built from the users
 * row and what SCIM keeps beside it, the SQL fields its filters and sorts read, and the
 * checks that turn a POST/PUT body (or a patched document) into the state to store.
 *
 * userName → Parley username: lowercased; an email address gives its local part
 * ("Barbara.Jensen@example.com" → "barbara.jensen"). The userName itself is kept as sent and
 * returned as sent. Parley keeps one email address per user.
 */
import { sql } from "kysely";
import { DisplayName, Email, Username } from "@parley/protocol";
import { invalidValue } from "./errors.ts";
import type { Collection, FieldMap } from "./filter-sql.ts";
import { etagOf, isoTime } from "./list.ts";
import { lookupAttr, URN } from "./schemas.ts";
import type { ScimUserRow } from "./store.ts";
import type { ScimDoc } from "./patch.ts";

const NAME_PARTS = ["formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"] as const;
type NamePart = (typeof NAME_PARTS)[number];
const NAME_COLUMN: Record<NamePart, keyof ScimUserRow & string> = {
  formatted: "name_formatted",
  familyName: "family_name",
  givenName: "given_name",
  middleName: "middle_name",
  honorificPrefix: "honorific_prefix",
  honorificSuffix: "honorific_suffix",
};

/** What a SCIM write stores for a user. */
export interface UserState {
  /** As the identity provider sent it. */
  userName: string;
  /** Parley's username derived from it. */
  username: string;
  externalId: string | null;
  displayName: string;
  name: Record<NamePart, string | null>;
  /** undefined: not given (a PUT without it keeps the user's state). */
  active: boolean | undefined;
  email: string | null;
  /** undefined: not given (the password stays). */
  password: string | undefined;
}

/** The SCIM userName of a user: as the identity provider sent it, or the Parley username for users SCIM never wrote. */
export const userNameOf = (r: ScimUserRow) => r.user_name ?? r.username;
/** When SCIM last changed the user (or its creation). */
export const lastModifiedOf = (r: ScimUserRow) => Number(r.updated_at ?? r.created_at);

/** The resource without meta (what PATCH edits and the ETag covers). */
export function userContent(r: ScimUserRow, groups: Array<{ id: string; display_name: string }>, base: string): ScimDoc {
  const name = Object.fromEntries(NAME_PARTS.flatMap((p) => (r[NAME_COLUMN[p]] === null ? [] : [[p, r[NAME_COLUMN[p]]]])));
  return {
    schemas: [URN.user],
    id: r.id,
    ...(r.external_id !== null ? { externalId: r.external_id } : {}),
    userName: userNameOf(r),
    ...(Object.keys(name).length ? { name } : {}),
    displayName: r.display_name,
    active: r.deactivated_at === null,
    ...(r.email ? { emails: [{ value: r.email, type: "work", primary: true }] } : {}),
    ...(groups.length ? { groups: groups.map((g) => ({ value: g.id, $ref: `${base}/Groups/${g.id}`, display: g.display_name, type: "direct" })) } : {}),
  };
}

/** The full resource with meta (and its ETag as meta.version). */
export function userResource(r: ScimUserRow, groups: Array<{ id: string; display_name: string }>, base: string): ScimDoc {
  const content = userContent(r, groups, base);
  return {
    ...content,
    meta: {
      resourceType: "User",
      created: isoTime(Number(r.created_at)),
      lastModified: isoTime(lastModifiedOf(r)),
      location: `${base}/Users/${r.id}`,
      version: etagOf(content),
    },
  };
}

/** The SQL behind each filterable attribute of a User (users u left join scim_users s). */
export function userFieldMap(): FieldMap {
  const emails: Collection = {
    def: (lookupAttr("User", "emails") as { kind: "kept"; def: Collection["def"] }).def,
    fields: {
      value: { type: "string", sql: sql.ref("u.email"), caseExact: false },
      type: { type: "string", sql: sql`(case when u.email is null then null else 'work' end)`, caseExact: false },
      primary: { type: "boolean", truth: sql`u.email is not null`, present: sql`u.email is not null` },
      display: { type: "absent" },
    },
    some: (cond) => sql`(u.email is not null and ${cond})`,
    sortBy: sql.ref("u.email"),
  };
  const groupRef = (cond: ReturnType<typeof sql>) =>
    sql`exists (select 1 from scim_group_members gm join scim_groups g on g.id = gm.group_id where gm.user_id = u.id and ${cond})`;
  const groups: Collection = {
    def: (lookupAttr("User", "groups") as { kind: "kept"; def: Collection["def"] }).def,
    fields: {
      value: { type: "string", sql: sql.ref("gm.group_id"), caseExact: true },
      display: { type: "string", sql: sql.ref("g.display_name"), caseExact: false },
      type: { type: "string", sql: sql`'direct'`, caseExact: false },
      $ref: { type: "refused", why: "filter on groups.value instead" },
    },
    some: groupRef,
  };
  return {
    resource: "User",
    fields: {
      id: { type: "string", sql: sql.ref("u.id"), caseExact: true },
      username: { type: "string", sql: sql`coalesce(s.user_name, u.username)`, caseExact: false },
      externalid: { type: "string", sql: sql.ref("s.external_id"), caseExact: true },
      displayname: { type: "string", sql: sql.ref("u.display_name"), caseExact: false },
      active: { type: "boolean", truth: sql`u.deactivated_at is null`, present: null },
      name: { type: "refused", why: "filter on a sub-attribute such as name.familyName" },
      ...Object.fromEntries(
        NAME_PARTS.map((p) => [`name.${p.toLowerCase()}`, { type: "string" as const, sql: sql.ref(`s.${NAME_COLUMN[p]}`), caseExact: false }]),
      ),
      password: { type: "refused", why: "passwords cannot be filtered on" },
      schemas: { type: "const", values: [URN.user] },
      "meta.resourcetype": { type: "const", values: ["User"] },
      "meta.created": { type: "dateTime", sql: sql.ref("u.created_at") },
      "meta.lastmodified": { type: "dateTime", sql: sql`coalesce(s.updated_at, u.created_at)` },
      "meta.location": { type: "refused", why: "filter on id instead" },
      "meta.version": { type: "refused", why: "use If-None-Match instead" },
    },
    collections: { emails, groups },
  };
}

// ---- input ---------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A POST/PUT body with its attribute names made canonical; attributes Parley does not keep are dropped. */
export function canonicalUserBody(body: unknown): ScimDoc {
  if (!isObject(body)) throw invalidValue("the body must be a User JSON object");
  const out: ScimDoc = {};
  for (const [key, value] of Object.entries(body)) {
    const found = lookupAttr("User", key);
    if (found.kind === "kept") out[found.def.name] = value;
  }
  if (isObject(out.name)) {
    const name: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(out.name)) {
      const part = NAME_PARTS.find((p) => p.toLowerCase() === k.toLowerCase());
      if (part) name[part] = v;
    }
    out.name = name;
  }
  return out;
}

/** Entra ID sends booleans as "True"/"False" strings. */
function booleanOf(v: unknown, what: string): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
  throw invalidValue(`${what} must be true or false`);
}

function optionalString(v: unknown, what: string, max: number): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw invalidValue(`${what} must be a string`);
  const s = v.trim();
  if (s.length > max) throw invalidValue(`${what} is longer than ${max} characters`);
  return s || null;
}

/** Parley's username for a SCIM userName, or 400 invalidValue saying why there is none. */
export function usernameFor(userName: string): string {
  const lower = userName.trim().toLowerCase();
  if (Username.safeParse(lower).success) return lower;
  const at = lower.lastIndexOf("@");
  if (at > 0 && Username.safeParse(lower.slice(0, at)).success) return lower.slice(0, at);
  throw invalidValue(
    `userName "${userName}" does not make a Parley username: 2 to 40 lowercase letters, digits, dots, dashes or underscores (an email address's part before @ is used)`,
  );
}

/** The state a (canonical) User document asks for; every bad value is 400 invalidValue. */
export function userStateFrom(doc: ScimDoc): UserState {
  if (typeof doc.userName !== "string" || !doc.userName.trim()) throw invalidValue("userName is required");
  const userName = doc.userName.trim();
  if (userName.length > 256) throw invalidValue("userName is longer than 256 characters");
  const nameIn = doc.name === undefined || doc.name === null ? {} : doc.name;
  if (!isObject(nameIn)) throw invalidValue("name must be an object");
  const name = Object.fromEntries(NAME_PARTS.map((p) => [p, optionalString(nameIn[p], `name.${p}`, 256)])) as Record<NamePart, string | null>;
  const given = optionalString(doc.displayName, "displayName", 1000);
  const fallback = name.formatted ?? ([name.givenName, name.familyName].filter(Boolean).join(" ") || userName);
  const display = DisplayName.safeParse(given ?? fallback.slice(0, 80));
  if (!display.success) throw invalidValue("displayName must be 1 to 80 characters");
  let email: string | null = null;
  if (doc.emails !== undefined && doc.emails !== null) {
    if (!Array.isArray(doc.emails)) throw invalidValue("emails must be a list");
    const emails = doc.emails.map((e, i) => {
      if (!isObject(e) || typeof e.value !== "string") throw invalidValue(`emails[${i}] needs a string value`);
      return e;
    });
    const chosen =
      emails.find((e) => e.primary !== undefined && booleanOf(e.primary, "emails.primary")) ??
      emails.find((e) => typeof e.type === "string" && e.type.toLowerCase() === "work") ??
      emails[0];
    if (chosen) {
      const parsed = Email.safeParse(chosen.value);
      if (!parsed.success) throw invalidValue(`"${String(chosen.value)}" is not an email address`);
      email = parsed.data;
    }
  }
  let password: string | undefined;
  if (doc.password !== undefined && doc.password !== null) {
    if (typeof doc.password !== "string" || doc.password.length < 1 || doc.password.length > 256) throw invalidValue("password must be 1 to 256 characters");
    password = doc.password;
  }
  return {
    userName,
    username: usernameFor(userName),
    externalId: optionalString(doc.externalId, "externalId", 256),
    displayName: display.data,
    name,
    active: doc.active === undefined || doc.active === null ? undefined : booleanOf(doc.active, "active"),
    email,
    password,
  };
}
