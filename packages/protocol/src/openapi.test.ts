/**
 * The OpenAPI document describes every route: each entry of the route table
 * appears in openApiDocument(), a running server serves exactly that document,
 * and every /api/v1 route the server registers is in it (so no handler can be
 * added outside the table without showing up here).
 */
import test from "node:test";
import assert from "node:assert/strict";
import { routes } from "./routes.ts";
import type { RouteDef } from "./route.ts";
import { openApiDocument } from "./openapi.ts";
import { API_PREFIX, API_VERSION, WS_PATH } from "./version.ts";
import { ERROR_CODES } from "./errors.ts";
// Tests may cross package boundaries (.dependency-cruiser.cjs): this one needs a real server.
import { startTestServer } from "@parley/server/testing/harness";

type Operation = { operationId: string; parameters: Array<{ name: string; in: string }>; requestBody?: unknown; responses: Record<string, unknown> };
type Doc = {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: { Error: { properties: { code: { enum: string[] } } } } };
};

const openApiPath = (p: string) => API_PREFIX + p.replace(/:([A-Za-z]+)/g, "{$1}");

test("every route of the table is in the OpenAPI document, with its params, body and responses", () => {
  const doc = openApiDocument() as unknown as Doc;
  assert.equal(doc.openapi, "3.1.0");
  assert.equal(doc.info.version, String(API_VERSION));
  let count = 0;
  for (const [name, def] of Object.entries(routes) as [string, RouteDef][]) {
    const op = doc.paths[openApiPath(def.path)]?.[def.method.toLowerCase()];
    assert.ok(op, `${name}: ${def.method} ${def.path} is missing from the OpenAPI document`);
    assert.equal(op.operationId, name);
    for (const m of def.path.matchAll(/:([A-Za-z]+)/g)) {
      assert.ok(
        op.parameters.some((p) => p.in === "path" && p.name === m[1]),
        `${name}: path parameter ${m[1]} undocumented`,
      );
    }
    assert.equal(Boolean(op.requestBody), Boolean(def.body ?? def.raw?.request), `${name}: request body`);
    const success = String(def.status ?? (def.response ? 200 : 204));
    assert.ok(op.responses[success], `${name}: success status ${success} undocumented`);
    assert.ok(op.responses["400"], `${name}: 400 undocumented`);
    if (def.auth === "user") assert.ok(op.responses["401"] && op.responses["404"], `${name}: 401/404 undocumented`);
    count++;
  }
  const documented = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
  assert.equal(documented, count, "the document has operations that are not in the route table");
  assert.deepEqual(doc.components.schemas.Error.properties.code.enum, ERROR_CODES);
});

/**
 * Routes Fastify registered, as "METHOD /path". Fastify has no public route
 * list once the app is ready, so this reads printRoutes()'s tree: each line is
 * a path segment indented under its parent, followed by its methods.
 */
function registeredRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split("\n")) {
    const m = /^([│├└─\s]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = Math.round(m[1]!.length / 4);
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join("");
    for (const method of m[3]!.split(",").map((s) => s.trim())) out.push(`${method} ${path}`);
  }
  return out;
}

test("a running server serves the same document and registers no undocumented /api/v1 route", async () => {
  const server = await startTestServer();
  try {
    const res = await fetch(`${server.url}/api/openapi.json`);
    assert.equal(res.status, 200);
    const served = (await res.json()) as Doc;
    assert.deepEqual(served, JSON.parse(JSON.stringify(openApiDocument())));

    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(served.paths)) {
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const registered = registeredRoutes(server.app.printRoutes({ commonPrefix: false }))
      .filter((r) => r.split(" ")[1]!.startsWith(`${API_PREFIX}/`))
      // HEAD is Fastify's automatic twin of GET; the WebSocket upgrade is documented in docs/protocol.md.
      .filter((r) => !r.startsWith("HEAD ") && r.split(" ")[1] !== WS_PATH);
    assert.ok(registered.length >= Object.keys(routes).length, `parsed only ${registered.length} routes from printRoutes()`);
    for (const r of registered) {
      const [method, path] = r.split(" ") as [string, string];
      assert.ok(documented.has(`${method} ${path.replace(/:([A-Za-z]+)/g, "{$1}")}`), `${r} is registered but not in /api/openapi.json`);
    }
  } finally {
    await server.stop();
  }
});
