/**
 * What a SCIM list or search asks for (RFC 7644 §3.4.2, §3.4.3): filter, sort, paging
 * (1-based startIndex, count capped at MAX_RESULTS), and which attributes to return
 * (§3.4.2.5); plus the ListResponse envelope and each resource's ETag.
 */
import crypto from "node:crypto";
import { invalidValue, invalidSyntax } from "./errors.ts";
import { parseFilter, type Filter } from "./filter.ts";
import { MAX_RESULTS, stripSchemaUrn, URN, type ResourceKind } from "./schemas.ts";

/** Page size when the request names none. */
const DEFAULT_COUNT = 100;

export interface ListParams {
  filter: Filter | undefined;
  startIndex: number;
  count: number;
  sortBy: string | undefined;
  descending: boolean;
  attributes: string[] | undefined;
  excludedAttributes: string[] | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** From a GET query string (parameter names case-insensitive). */
export function listParamsFromQuery(query: Record<string, unknown>): ListParams {
  const get = (name: string): string | undefined => {
    const key = Object.keys(query).find((k) => k.toLowerCase() === name.toLowerCase());
    const v = key === undefined ? undefined : query[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string") throw invalidValue(`give "${name}" once`);
    return v;
  };
  const csv = (v: string | undefined) =>
    v === undefined
      ? undefined
      : v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
  return build({
    filter: get("filter"),
    startIndex: get("startIndex"),
    count: get("count"),
    sortBy: get("sortBy"),
    sortOrder: get("sortOrder"),
    attributes: csv(get("attributes")),
    excludedAttributes: csv(get("excludedAttributes")),
  });
}

/** From a POST /.search body (a SearchRequest). */
export function listParamsFromSearch(body: unknown): ListParams {
  if (!isObject(body)) throw invalidSyntax("the body must be a SearchRequest JSON object");
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === "string" && s.toLowerCase() === URN.searchRequest.toLowerCase())) {
    throw invalidSyntax(`"schemas" must list ${URN.searchRequest}`);
  }
  const strings = (v: unknown, name: string) => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw invalidValue(`"${name}" must be a list of attribute names`);
    return v as string[];
  };
  const scalar = (v: unknown, name: string) => {
    if (v === undefined) return undefined;
    if (typeof v !== "string" && typeof v !== "number") throw invalidValue(`"${name}" must be a string or a number`);
    return String(v);
  };
  return build({
    filter: scalar(body.filter, "filter"),
    startIndex: scalar(body.startIndex, "startIndex"),
    count: scalar(body.count, "count"),
    sortBy: scalar(body.sortBy, "sortBy"),
    sortOrder: scalar(body.sortOrder, "sortOrder"),
    attributes: strings(body.attributes, "attributes"),
    excludedAttributes: strings(body.excludedAttributes, "excludedAttributes"),
  });
}

function integer(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d{1,9}$/.test(v.trim())) throw invalidValue(`"${name}" must be an integer`);
  return Number(v);
}

function build(raw: {
  filter: string | undefined;
  startIndex: string | undefined;
  count: string | undefined;
  sortBy: string | undefined;
  sortOrder: string | undefined;
  attributes: string[] | undefined;
  excludedAttributes: string[] | undefined;
}): ListParams {
  const sortOrder = raw.sortOrder?.toLowerCase();
  if (sortOrder !== undefined && sortOrder !== "ascending" && sortOrder !== "descending") throw invalidValue(`"sortOrder" must be ascending or descending`);
  // RFC 7644 §3.4.2.4: a startIndex below 1 is 1; a negative count is 0.
  const startIndex = Math.max(1, integer(raw.startIndex, "startIndex") ?? 1);
  const count = Math.min(MAX_RESULTS, Math.max(0, integer(raw.count, "count") ?? DEFAULT_COUNT));
  return {
    filter: raw.filter === undefined ? undefined : parseFilter(raw.filter),
    startIndex,
    count,
    sortBy: raw.sortBy || undefined,
    descending: sortOrder === "descending",
    attributes: raw.attributes,
    excludedAttributes: raw.excludedAttributes,
  };
}

/** The ListResponse envelope. */
export function listResponse(totalResults: number, startIndex: number, resources: unknown[]): Record<string, unknown> {
  return { schemas: [URN.listResponse], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}

type Doc = Record<string, unknown>;

/** Split `attr` or `attr.sub` (schema URN stripped) into lowercased parts; null for other schemas' attributes. */
function pathParts(resource: ResourceKind, path: string): [string, string | undefined] | null {
  const stripped = stripSchemaUrn(resource, path);
  if (stripped === "ignored" || stripped === "unknown") return null;
  const [top = "", sub] = stripped.toLowerCase().split(".", 2);
  return [top, sub];
}

/** Keep only `attributes` (id and schemas always), then drop `excludedAttributes` (RFC 7644 §3.4.2.5). */
export function project(resource: ResourceKind, doc: Doc, attributes: string[] | undefined, excluded: string[] | undefined): Doc {
  let out: Doc = doc;
  if (attributes?.length) {
    out = {};
    const wanted = attributes.map((a) => pathParts(resource, a)).filter((p) => p !== null);
    for (const [key, value] of Object.entries(doc)) {
      const k = key.toLowerCase();
      if (k === "id" || k === "schemas") {
        out[key] = value;
        continue;
      }
      const subs = wanted.filter(([top]) => top === k).map(([, sub]) => sub);
      if (subs.length === 0) continue;
      out[key] = subs.includes(undefined) ? value : pickSubs(value, subs as string[]);
    }
  }
  if (excluded?.length) {
    out = { ...out };
    for (const parts of excluded.map((a) => pathParts(resource, a))) {
      if (!parts) continue;
      const [top, sub] = parts;
      const key = Object.keys(out).find((k) => k.toLowerCase() === top);
      if (!key || key === "id" || key === "schemas") continue;
      if (sub === undefined) delete out[key];
      else out[key] = dropSub(out[key], sub);
    }
  }
  return out;
}

function pickSubs(value: unknown, subs: string[]): unknown {
  const pick = (o: unknown) =>
    typeof o === "object" && o !== null ? Object.fromEntries(Object.entries(o).filter(([k]) => subs.includes(k.toLowerCase()))) : o;
  return Array.isArray(value) ? value.map(pick) : pick(value);
}

function dropSub(value: unknown, sub: string): unknown {
  const drop = (o: unknown) => (typeof o === "object" && o !== null ? Object.fromEntries(Object.entries(o).filter(([k]) => k.toLowerCase() !== sub)) : o);
  return Array.isArray(value) ? value.map(drop) : drop(value);
}

/** A weak ETag over the resource's content (meta excluded): it changes whenever the representation does, whoever changed it. */
export function etagOf(doc: Doc): string {
  const { meta: _meta, ...content } = doc;
  return `W/"${crypto.createHash("sha256").update(JSON.stringify(content)).digest("hex").slice(0, 20)}"`;
}

/** RFC 7232 weak comparison of an If-Match / If-None-Match header against the current ETag ("*" matches any). */
export function etagMatches(header: string, etag: string): boolean {
  const bare = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((t) => t.trim() === "*" || bare(t) === bare(etag));
}

export const isoTime = (ms: number) => new Date(ms).toISOString();
