/**
 * Route flags that must not be forgotten: a route whose response schema or
 * path names a token, secret or password is marked `noStore` (the server then
 * sends Cache-Control: no-store).
 */
import test from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { routes } from "./routes.ts";
import type { RouteDef } from "./route.ts";

const SECRET_NAME = /token|secret|password/i;

/** Every property name anywhere in a JSON schema. */
function propertyNames(schema: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const s of schema) propertyNames(s, out);
  else if (schema && typeof schema === "object") {
    for (const [key, value] of Object.entries(schema)) {
      if (key === "properties" && value && typeof value === "object") for (const name of Object.keys(value)) out.add(name);
      propertyNames(value, out);
    }
  }
  return out;
}

function carriesSecret(def: RouteDef): string | undefined {
  const inPath = [...def.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!).find((p) => SECRET_NAME.test(p));
  if (inPath) return `path parameter ${inPath}`;
  if (!def.response) return undefined;
  const names = propertyNames(z.toJSONSchema(def.response, { io: "output", unrepresentable: "any" }));
  const field = [...names].find((n) => SECRET_NAME.test(n));
  return field && `response field ${field}`;
}

test("every route whose response or path carries a token or secret is marked noStore", () => {
  const flagged: string[] = [];
  for (const [name, def] of Object.entries(routes) as [string, RouteDef][]) {
    const why = carriesSecret(def);
    if (why) assert.equal(def.noStore, true, `${name} carries a secret (${why}) but is not marked noStore`);
    if (def.noStore) flagged.push(name);
  }
  // The sign-in routes at least; the check above is what keeps new ones from being forgotten.
  for (const name of ["setup", "login", "refresh", "acceptInvite", "createInvite", "adminResetPassword", "completePasswordReset"])
    assert.ok(flagged.includes(name), name);
});
