/**
 * PATCH paths (RFC 7644 §3.5.2, ABNF `PATH = attrPath / valuePath [subAttr]`):
 * `displayName`, `name.givenName`, `emails[type eq "work"].value`, `members[value eq "…"]`,
 * each optionally behind its schema URN. A path Parley cannot read, or naming an
 * attribute the schema does not have, is 400 invalidPath; a malformed value filter inside
 * the brackets is 400 invalidFilter (the RFC's keyword for path filters). Attributes of
 * the schema Parley does not keep resolve to "ignored".
 */
import { invalidPath } from "./errors.ts";
import { matchesValue, parseFilter, type Filter } from "./filter.ts";
import { lookupAttr, lookupSubAttr, stripSchemaUrn, type AttrDef, type ResourceKind } from "./schemas.ts";

/** A resolved path: the attribute (null: one Parley ignores), the value filter and sub-attribute if any. */
export interface PatchPath {
  attr: AttrDef | null;
  filter?: Filter;
  sub?: AttrDef;
}

const MAX_PATH_LENGTH = 1024;
const SHAPE = /^([A-Za-z$][\w$-]*)(?:\[(.*)\])?(?:\.([A-Za-z$][\w$-]*))?$/s;

/**
 * Resolve `text` for `resource`. `lenient`: the path is a key of a path-less operation's
 * value object, where attributes the schema lacks are ignored rather than refused.
 */
export function parsePatchPath(resource: ResourceKind, text: string, lenient = false): PatchPath {
  if (text.length > MAX_PATH_LENGTH) throw invalidPath(`the path is longer than ${MAX_PATH_LENGTH} characters`);
  const stripped = stripSchemaUrn(resource, text.trim());
  if (stripped === "ignored") return { attr: null };
  if (stripped === "unknown") {
    if (lenient) return { attr: null };
    throw invalidPath(`"${text}": unknown schema URN`);
  }
  const m = SHAPE.exec(stripped);
  if (!m) throw invalidPath(`"${text}" is not a valid attribute path (e.g. name.givenName or emails[type eq "work"].value)`);
  const [, name = "", filterText, subName] = m;
  const found = lookupAttr(resource, name);
  if (found.kind === "ignored") return { attr: null };
  if (found.kind === "unknown") {
    if (lenient) return { attr: null };
    throw invalidPath(`${resource} has no attribute "${name}"`);
  }
  const attr = found.def;
  const out: PatchPath = { attr };
  if (filterText !== undefined) {
    if (!attr.multiValued || attr.type !== "complex") throw invalidPath(`"${attr.name}" is not multi-valued: it takes no value filter`);
    out.filter = parseFilter(filterText);
    // Names a sub-attribute the values lack → invalidFilter now, even when there are no values to test.
    matchesValue(attr, {}, out.filter);
  }
  if (subName !== undefined) {
    if (attr.type !== "complex") throw invalidPath(`"${attr.name}" has no sub-attributes`);
    const sub = lookupSubAttr(attr, subName);
    if (!sub) throw invalidPath(`"${attr.name}" has no sub-attribute "${subName}"`);
    out.sub = sub;
  }
  return out;
}
