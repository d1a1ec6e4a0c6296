/**
 * A parsed SCIM filter as a SQL condition, so lists filter and page in the database (the
 * same on SQLite and PostgreSQL). Each resource declares its attributes as SQL fields
 * (users.ts, groups.ts: fixed column references, never request text); values are bound
 * parameters. Strings compare case-insensitively unless the attribute is caseExact (RFC
 * 7643 §2.2); an absent value matches no comparison (`not` inverts that) and `pr` is false;
 * attributes of the schema Parley does not keep are always absent; anything else is 400
 * invalidFilter.
 */
import { sql, type RawBuilder } from "kysely";
import type { Dialect } from "../../platform/db/index.ts";
import { invalidFilter, invalidValue } from "./errors.ts";
import { checkCompValue, type Compare, type Filter } from "./filter.ts";
import { lookupAttr, stripSchemaUrn, type AttrDef, type ResourceKind } from "./schemas.ts";

type Sql = RawBuilder<unknown>;

/** How one attribute (or sub-attribute) reads in SQL. */
export type Field =
  | { type: "string"; sql: Sql; caseExact: boolean }
  /** `present` null: the attribute always has a value. */
  | { type: "boolean"; truth: Sql; present: Sql | null }
  /** Milliseconds since the epoch. */
  | { type: "dateTime"; sql: Sql }
  /** The same values on every resource (schemas, meta.resourceType). */
  | { type: "const"; values: string[] }
  /** Never has a value (kept by no resource). */
  | { type: "absent" }
  /** Exists but cannot be filtered on (password, meta.location). */
  | { type: "refused"; why: string };

/** A multi-valued attribute (emails, groups, members): a condition on one of its values, made a condition on the resource. */
export interface Collection {
  def: AttrDef;
  /** Its values' sub-attributes by lowercased name. */
  fields: Record<string, Field>;
  /** `cond` holds for at least one value. */
  some(cond: Sql): Sql;
  /** What sorting by the attribute sorts by, if it can be sorted by. */
  sortBy?: Sql;
}

export interface FieldMap {
  resource: ResourceKind;
  /** Single-valued attributes by lowercased path: `username`, `name.givenname`, `meta.lastmodified`. */
  fields: Record<string, Field>;
  /** Multi-valued complex attributes by lowercased name. */
  collections: Record<string, Collection>;
}

const TRUE = sql`1 = 1`;
const FALSE = sql`1 = 0`;
const text = (v: string) => sql`cast(${v} as text)`;

/** Where the attribute a filter names is found; `explicitSub`: the path named a collection's sub-attribute. */
type Resolved = { field: Field; collection?: Collection; explicitSub?: boolean };

function resolve(map: FieldMap, attrPath: string): Resolved {
  const stripped = stripSchemaUrn(map.resource, attrPath);
  if (stripped === "ignored") return { field: { type: "absent" } };
  if (stripped === "unknown") throw invalidFilter(`unknown schema in "${attrPath}"`);
  const lower = stripped.toLowerCase();
  const dot = lower.indexOf(".");
  const top = dot < 0 ? lower : lower.slice(0, dot);
  const collection = map.collections[top];
  if (collection) {
    const sub = dot < 0 ? "value" : lower.slice(dot + 1);
    const field = collection.fields[sub];
    if (!field) throw invalidFilter(`${collection.def.name} has no sub-attribute "${sub}"`);
    return { field, collection, explicitSub: dot >= 0 };
  }
  const field = map.fields[lower];
  if (field) return { field };
  const attr = lookupAttr(map.resource, dot < 0 ? stripped : stripped.slice(0, dot));
  if (attr.kind === "ignored") return { field: { type: "absent" } };
  if (attr.kind === "kept") throw invalidFilter(`"${stripped}" cannot be used in a filter`);
  throw invalidFilter(`${map.resource} has no attribute "${stripped}"`);
}

/** The SQL condition of a filter over `map`'s resource. */
export function filterToSql(f: Filter, map: FieldMap, dialect: Dialect): Sql {
  switch (f.op) {
    case "and":
    case "or":
      return sql`(${sql.join(
        f.filters.map((c) => filterToSql(c, map, dialect)),
        sql.raw(` ${f.op} `),
      )})`;
    case "not":
      return sql`(not ${filterToSql(f.filter, map, dialect)})`;
    case "[]": {
      const { field, collection, explicitSub } = resolve(map, f.attrPath);
      if (field.type === "absent") return FALSE; // an attribute Parley does not keep (ims[type eq "xmpp"])
      if (!collection || explicitSub) throw invalidFilter(`"${f.attrPath}[…]": only a multi-valued attribute takes a value filter`);
      const inner: FieldMap = { resource: map.resource, fields: collection.fields, collections: {} };
      return collection.some(filterToSql(f.valFilter, inner, dialect));
    }
    default: {
      const { field, collection } = resolve(map, f.attrPath);
      const cond = f.op === "pr" ? present(field, f.attrPath) : comparison(f, field, dialect);
      return collection ? collection.some(cond) : cond;
    }
  }
}

function present(field: Field, attr: string): Sql {
  switch (field.type) {
    case "string":
      return sql`(${field.sql} is not null and ${field.sql} <> '')`;
    case "dateTime":
      return sql`(${field.sql} is not null)`;
    case "boolean":
      return field.present ?? TRUE;
    case "const":
      return field.values.length ? TRUE : FALSE;
    case "absent":
      return FALSE;
    case "refused":
      throw invalidFilter(`${attr}: ${field.why}`);
  }
}

function comparison(f: Compare, field: Field, dialect: Dialect): Sql {
  if (field.type === "refused") throw invalidFilter(`${f.attrPath}: ${field.why}`);
  if (field.type === "absent") return f.compValue === null && f.op === "eq" ? TRUE : FALSE;
  checkCompValue(f, f.attrPath, field.type === "const" ? "string" : field.type);
  if (f.compValue === null) return f.op === "eq" ? sql`(not ${present(field, f.attrPath)})` : present(field, f.attrPath);
  switch (field.type) {
    case "const": {
      const v = String(f.compValue).toLowerCase();
      const hit = field.values.some((x) => compareText(f.op, x.toLowerCase(), v));
      return hit ? TRUE : FALSE;
    }
    case "boolean": {
      const wanted = f.op === "eq" ? f.compValue : !f.compValue;
      const cond = wanted ? field.truth : sql`(not ${field.truth})`;
      return field.present ? sql`(${field.present} and ${cond})` : cond;
    }
    case "dateTime": {
      const ms = Date.parse(String(f.compValue));
      return sql`(${field.sql} is not null and ${field.sql} ${sql.raw(ORDER_OPS[f.op as keyof typeof ORDER_OPS])} ${ms})`;
    }
    case "string": {
      const col = field.caseExact ? field.sql : sql`lower(${field.sql})`;
      const v = text(field.caseExact ? String(f.compValue) : String(f.compValue).toLowerCase());
      const find = dialect === "postgres" ? sql`strpos(${col}, ${v})` : sql`instr(${col}, ${v})`;
      switch (f.op) {
        case "co":
          return sql`(${field.sql} is not null and ${find} > 0)`;
        case "sw":
          return sql`(${field.sql} is not null and ${find} = 1)`;
        case "ew":
          return sql`(${field.sql} is not null and length(${col}) >= length(${v}) and substr(${col}, length(${col}) - length(${v}) + 1) = ${v})`;
        default:
          return sql`(${field.sql} is not null and ${col} ${sql.raw(ORDER_OPS[f.op])} ${v})`;
      }
    }
  }
}

const ORDER_OPS = { eq: "=", ne: "<>", gt: ">", ge: ">=", lt: "<", le: "<=" } as const;

function compareText(op: Compare["op"], a: string, v: string): boolean {
  switch (op) {
    case "eq":
      return a === v;
    case "ne":
      return a !== v;
    case "co":
      return a.includes(v);
    case "sw":
      return a.startsWith(v);
    case "ew":
      return a.endsWith(v);
    case "gt":
      return a > v;
    case "ge":
      return a >= v;
    case "lt":
      return a < v;
    case "le":
      return a <= v;
  }
}

/** What `sortBy` sorts by (RFC 7644 §3.4.2.3): a single-valued attribute, or a collection that can be sorted. */
export function sortExpression(map: FieldMap, sortBy: string): Sql {
  let resolved: Resolved;
  try {
    resolved = resolve(map, sortBy);
  } catch (err) {
    throw invalidValue(`sortBy: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { field, collection, explicitSub } = resolved;
  if (collection) {
    if (collection.sortBy && (!explicitSub || sortBy.toLowerCase().endsWith(".value"))) return collection.sortBy;
    throw invalidValue(`sortBy: ${sortBy} cannot be sorted by`);
  }
  switch (field.type) {
    case "string":
      return field.caseExact ? field.sql : sql`lower(${field.sql})`;
    case "dateTime":
      return field.sql;
    case "boolean":
      return sql`(case when ${field.truth} then 1 else 0 end)`;
    default:
      // The same (or no) value on every resource: the default order.
      return sql`null`;
  }
}
