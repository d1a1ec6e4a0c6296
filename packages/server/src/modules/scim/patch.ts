/**
 * PATCH (RFC 7644 §3.5.2) on a resource's JSON document: the operations are applied in
 * order to a copy of the current document, which is then validated and stored like a PUT
 * body — so a request either applies whole or not at all. Besides the RFC's forms this
 * accepts what Entra ID and Okta send: capitalised op names ("Replace"), path-less values
 * whose keys are paths (`{"name.givenName": "Babs"}`, schema-URN keys), `remove` of
 * multi-valued members listed in `value`, and `add` with a value filter that matches
 * nothing (the value is created from the filter's `eq` terms).
 */
import { invalidSyntax, invalidValue, mutability, noTarget, tooMany } from "./errors.ts";
import { matchesValue, type Filter } from "./filter.ts";
import { parsePatchPath, type PatchPath } from "./path.ts";
import { lookupSubAttr, URN, type AttrDef, type ResourceKind } from "./schemas.ts";

export interface PatchOp {
  op: "add" | "remove" | "replace";
  path?: string;
  value?: unknown;
}

/** A resource as PATCH sees it: attribute name -> value (canonical names). */
export type ScimDoc = Record<string, unknown>;

/** Most operations in one PATCH request. */
const MAX_PATCH_OPERATIONS = 100;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const keyOf = (o: Record<string, unknown>, name: string) => Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase());

/** Check a PatchOp request body (RFC 7644 §3.5.2); malformed → 400 invalidSyntax. */
export function parsePatchBody(body: unknown): PatchOp[] {
  if (!isObject(body)) throw invalidSyntax("the body must be a PatchOp JSON object");
  const schemas = body[keyOf(body, "schemas") ?? "schemas"];
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === "string" && s.toLowerCase() === URN.patchOp.toLowerCase())) {
    throw invalidSyntax(`"schemas" must list ${URN.patchOp}`);
  }
  const ops = body[keyOf(body, "Operations") ?? "Operations"];
  if (!Array.isArray(ops) || ops.length === 0) throw invalidSyntax(`"Operations" must be a non-empty array`);
  if (ops.length > MAX_PATCH_OPERATIONS) throw tooMany(`${ops.length} operations in one request; at most ${MAX_PATCH_OPERATIONS}`);
  return ops.map((raw, i) => {
    if (!isObject(raw)) throw invalidSyntax(`Operations[${i}] must be an object`);
    const opName = raw[keyOf(raw, "op") ?? "op"];
    const op = typeof opName === "string" ? opName.toLowerCase() : "";
    if (op !== "add" && op !== "remove" && op !== "replace") throw invalidSyntax(`Operations[${i}].op must be add, remove or replace`);
    const path = raw[keyOf(raw, "path") ?? "path"];
    if (path !== undefined && typeof path !== "string") throw invalidSyntax(`Operations[${i}].path must be a string`);
    const valueKey = keyOf(raw, "value");
    if (op !== "remove" && valueKey === undefined) throw invalidSyntax(`Operations[${i}] (${op}) needs a value`);
    return { op, ...(path !== undefined && path !== "" ? { path } : {}), ...(valueKey !== undefined ? { value: raw[valueKey] } : {}) };
  });
}

/** Apply `ops` to a deep copy of `doc`; the caller validates the result. */
export function applyPatch(resource: ResourceKind, doc: ScimDoc, ops: PatchOp[]): ScimDoc {
  const out = structuredClone(doc);
  for (const op of ops) {
    if (op.path === undefined) {
      if (op.op === "remove") throw noTarget("remove needs a path");
      if (!isObject(op.value)) throw invalidValue(`${op.op} without a path takes an object of attributes`);
      // Keys are attribute paths (Entra sends "name.givenName" and schema-URN keys here).
      for (const [key, value] of Object.entries(op.value)) {
        const path = parsePatchPath(resource, key, true);
        if (path.filter) throw invalidValue(`"${key}": a value filter belongs in "path", not in a value's keys`);
        applyAt(out, op.op, path, value, key, true);
      }
    } else {
      applyAt(out, op.op, parsePatchPath(resource, op.path), op.value, op.path, false);
    }
  }
  return out;
}

function applyAt(doc: ScimDoc, op: PatchOp["op"], path: PatchPath, value: unknown, text: string, inValueObject: boolean): void {
  const attr = path.attr;
  if (!attr) return; // an attribute Parley does not keep
  if (attr.mutability === "readOnly") {
    // Okta repeats the id in path-less replaces; the resource's own values change nothing.
    if (attr.name === "id" && op !== "remove" && value === doc.id) return;
    if (attr.name === "meta" && inValueObject) return;
    throw mutability(`${attr.name} is read-only`);
  }
  if (!attr.multiValued) return applySingle(doc, op, attr, path.sub, value, text);
  const values = Array.isArray(doc[attr.name]) ? (doc[attr.name] as Array<Record<string, unknown>>) : [];
  doc[attr.name] = applyMulti(values, op, attr, path, value, text);
}

function applySingle(doc: ScimDoc, op: PatchOp["op"], attr: AttrDef, sub: AttrDef | undefined, value: unknown, text: string): void {
  if (attr.type !== "complex") {
    if (op === "remove") delete doc[attr.name];
    else doc[attr.name] = value;
    return;
  }
  const current = isObject(doc[attr.name]) ? (doc[attr.name] as Record<string, unknown>) : {};
  if (sub) {
    if (op === "remove") delete current[sub.name];
    else current[sub.name] = value;
    doc[attr.name] = current;
    return;
  }
  if (op === "remove") {
    delete doc[attr.name];
    return;
  }
  // add and replace both merge the given sub-attributes into a complex value (RFC 7644 §3.5.2.1, §3.5.2.3).
  if (!isObject(value)) throw invalidValue(`"${text}" takes an object of ${attr.name}'s sub-attributes`);
  doc[attr.name] = { ...current, ...canonicalValue(attr, value, text) };
}

function applyMulti(
  values: Array<Record<string, unknown>>,
  op: PatchOp["op"],
  attr: AttrDef,
  path: PatchPath,
  value: unknown,
  text: string,
): Array<Record<string, unknown>> {
  const { filter, sub } = path;
  if (!filter) {
    if (sub) {
      if (op === "remove") return values.map((v) => omit(v, sub.name));
      if (values.length === 0) {
        if (op === "replace") throw noTarget(`"${text}": ${attr.name} has no values`);
        return [{ [sub.name]: value }];
      }
      return values.map((v) => ({ ...v, [sub.name]: value }));
    }
    if (op === "remove") {
      // Entra ID removes listed members with `value`: [{ value: id }].
      if (value === undefined) return [];
      const gone = listOf(attr, value, text).map((v) => v.value);
      return values.filter((v) => !gone.some((g) => sameValue(attr, g, v.value)));
    }
    const given = listOf(attr, value, text);
    if (op === "replace") return given;
    const out = [...values];
    for (const g of given) {
      const same = out.findIndex((v) => g.value !== undefined && sameValue(attr, g.value, v.value));
      if (same < 0) out.push(g);
      else out[same] = { ...out[same], ...g };
    }
    return out;
  }
  const hits = values.map((v) => matchesValue(attr, v, filter));
  const any = hits.some(Boolean);
  if (op === "remove") return sub ? values.map((v, i) => (hits[i] ? omit(v, sub.name) : v)) : values.filter((_, i) => !hits[i]);
  if (!any) {
    if (op === "replace") throw noTarget(`"${text}" matches no value of ${attr.name}`);
    // add: create the value the filter describes (Entra adds emails[type eq "work"].value this way).
    const base = eqTerms(attr, filter);
    return [...values, sub ? { ...base, [sub.name]: value } : { ...base, ...canonicalValue(attr, objectOf(value, text), text) }];
  }
  return values.map((v, i) => {
    if (!hits[i]) return v;
    if (sub) return { ...v, [sub.name]: value };
    const given = canonicalValue(attr, objectOf(value, text), text);
    return op === "replace" ? given : { ...v, ...given };
  });
}

function omit(v: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _gone, ...rest } = v;
  return rest;
}

/** A multi-valued attribute's value(s) as given: an array, or one value; each an object of its sub-attributes. */
function listOf(attr: AttrDef, value: unknown, text: string): Array<Record<string, unknown>> {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => canonicalValue(attr, objectOf(v, text), text));
}

function objectOf(value: unknown, text: string): Record<string, unknown> {
  if (!isObject(value)) throw invalidValue(`"${text}" takes an object (or a list of objects) of sub-attributes`);
  return value;
}

/** Sub-attribute names made canonical (they are case-insensitive); ones the schema lacks are dropped. */
function canonicalValue(attr: AttrDef, value: Record<string, unknown>, text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const sub = lookupSubAttr(attr, k);
    if (!sub) continue;
    if (sub.mutability === "readOnly" && attr.mutability !== "readOnly") continue; // members[].display: Parley's own
    if (isObject(v) || Array.isArray(v)) throw invalidValue(`"${text}": ${attr.name}.${sub.name} must be a single value`);
    out[sub.name] = v;
  }
  return out;
}

function sameValue(attr: AttrDef, a: unknown, b: unknown): boolean {
  if (typeof a !== "string" || typeof b !== "string") return a === b;
  return lookupSubAttr(attr, "value")?.caseExact ? a === b : a.toLowerCase() === b.toLowerCase();
}

/** The `sub eq "x"` terms of a filter made only of them and `and`: what a value matching it has. */
function eqTerms(attr: AttrDef, f: Filter): Record<string, unknown> {
  if (f.op === "and") return Object.assign({}, ...f.filters.map((c) => eqTerms(attr, c)));
  if (f.op === "eq") {
    const name = f.attrPath.includes(".") ? f.attrPath.slice(f.attrPath.lastIndexOf(".") + 1) : f.attrPath;
    const sub = lookupSubAttr(attr, name);
    if (sub && f.compValue !== null) return { [sub.name]: f.compValue };
  }
  return {};
}
