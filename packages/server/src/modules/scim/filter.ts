/**
 * SCIM filters (RFC 7644 §3.4.2.2): parsed by `scim2-parse-filter` (its grammar follows the
 * RFC's Figure 1: attribute paths with schema URNs, eq/ne/co/sw/ew/gt/lt/ge/le/pr, and/or/not
 * with the RFC's precedence, value filters in brackets); anything it refuses is 400
 * invalidFilter. Its own evaluator is not used: it compares case-sensitively, and Parley
 * evaluates list filters in SQL (filter-sql.ts). Value filters of PATCH paths
 * (`emails[type eq "work"]`) are evaluated here on the attribute's values.
 */
import { parse, type Compare, type Filter } from "scim2-parse-filter";
import { invalidFilter, tooMany } from "./errors.ts";
import { lookupSubAttr, type AttrDef } from "./schemas.ts";

export type { Filter, Compare };

/** Longest filter accepted, characters. */
const MAX_FILTER_LENGTH = 2048;
/** Most comparisons in one filter. */
const MAX_FILTER_TERMS = 50;

/** Parse a filter; malformed → 400 invalidFilter, too many comparisons → 400 tooMany. */
export function parseFilter(text: string): Filter {
  if (text.length > MAX_FILTER_LENGTH) throw tooMany(`the filter is longer than ${MAX_FILTER_LENGTH} characters`);
  if (!text.trim()) throw invalidFilter("the filter is empty");
  let ast: Filter;
  try {
    ast = parse(text);
  } catch (err) {
    // The parser's messages name the offending token; a stack overflow on absurd nesting lands here too.
    throw invalidFilter(`malformed filter: ${err instanceof Error ? err.message : String(err)}`);
  }
  const terms = countTerms(ast);
  if (terms > MAX_FILTER_TERMS) throw tooMany(`the filter has ${terms} comparisons; at most ${MAX_FILTER_TERMS} are accepted`);
  return ast;
}

function countTerms(f: Filter): number {
  switch (f.op) {
    case "and":
    case "or":
      return f.filters.reduce((n, c) => n + countTerms(c), 0);
    case "not":
      return countTerms(f.filter);
    case "[]":
      return countTerms(f.valFilter);
    default:
      return 1;
  }
}

/** A compared value must suit the attribute's type. */
export function checkCompValue(f: Compare, attr: string, type: AttrDef["type"]): void {
  const v = f.compValue;
  if (v === null) {
    if (f.op !== "eq" && f.op !== "ne") throw invalidFilter(`${attr} ${f.op} null: only eq and ne compare with null`);
    return;
  }
  if (type === "boolean") {
    if (typeof v !== "boolean") throw invalidFilter(`${attr} is a boolean: compare it with true or false`);
    if (f.op !== "eq" && f.op !== "ne") throw invalidFilter(`${attr} is a boolean: only eq, ne and pr apply`);
    return;
  }
  if (typeof v !== "string") throw invalidFilter(`${attr} is a ${type === "dateTime" ? "date" : "string"}: compare it with a quoted value`);
  if (type === "dateTime" && Number.isNaN(Date.parse(v))) throw invalidFilter(`${attr}: "${v}" is not a date (RFC 3339, e.g. 2011-05-13T04:42:34Z)`);
  if (type === "dateTime" && ["co", "sw", "ew"].includes(f.op)) throw invalidFilter(`${attr} is a date: use eq, ne, gt, ge, lt or le`);
}

/**
 * Whether one value of a multi-valued complex attribute (an email, a member) matches a
 * value filter. Sub-attribute names are case-insensitive; strings compare case-insensitively
 * unless the sub-attribute is caseExact. Unknown sub-attributes → invalidFilter.
 */
export function matchesValue(parent: AttrDef, value: Record<string, unknown>, f: Filter): boolean {
  switch (f.op) {
    case "and":
      return f.filters.every((c) => matchesValue(parent, value, c));
    case "or":
      return f.filters.some((c) => matchesValue(parent, value, c));
    case "not":
      return !matchesValue(parent, value, f.filter);
    case "[]":
      throw invalidFilter(`a value filter cannot nest another one (${f.attrPath}[…])`);
    default: {
      const name = f.attrPath.toLowerCase().startsWith(`${parent.name.toLowerCase()}.`) ? f.attrPath.slice(parent.name.length + 1) : f.attrPath;
      const sub = lookupSubAttr(parent, name);
      if (!sub) throw invalidFilter(`${parent.name} has no sub-attribute "${f.attrPath}"`);
      const key = Object.keys(value).find((k) => k.toLowerCase() === sub.name.toLowerCase());
      const actual = key === undefined ? undefined : value[key];
      if (f.op === "pr") return actual !== undefined && actual !== null && actual !== "";
      checkCompValue(f, `${parent.name}.${sub.name}`, sub.type);
      return compare(f, actual, sub);
    }
  }
}

function compare(f: Compare, actual: unknown, def: AttrDef): boolean {
  const absent = actual === undefined || actual === null;
  if (f.compValue === null) return f.op === "eq" ? absent : !absent;
  if (absent) return false;
  if (typeof f.compValue === "boolean") {
    const b = typeof actual === "string" ? actual.toLowerCase() === "true" : actual === true;
    return f.op === "eq" ? b === f.compValue : b !== f.compValue;
  }
  const fold = (s: string) => (def.caseExact ? s : s.toLowerCase());
  const a = fold(String(actual));
  const v = fold(String(f.compValue));
  switch (f.op) {
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
