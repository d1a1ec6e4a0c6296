import { z } from "zod";
import { routes } from "./routes.ts";
import type { RouteDef } from "./route.ts";
import { API_PREFIX, API_VERSION } from "./version.ts";
import { ERROR_CODES, ERROR_STATUS } from "./errors.ts";

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const s = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  delete s.$schema;
  return s;
}

function parameters(def: RouteDef): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [
    ["path", def.params],
    ["query", def.query],
  ] as const) {
    if (!schema) continue;
    const js = jsonSchema(schema, "input");
    const props = (js.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((js.required as string[] | undefined) ?? []);
    for (const [name, p] of Object.entries(props)) {
      out.push({ name, in: where, required: where === "path" || required.has(name), schema: p });
    }
  }
  return out;
}

const ErrorBodySchema = {
  type: "object",
  required: ["code", "message"],
  properties: {
    code: { type: "string", enum: ERROR_CODES },
    message: { type: "string" },
    details: {},
  },
};

/**
 * The OpenAPI 3.1 document of API v1, generated from the same route table and
 * schemas that validate requests.
 */
export function openApiDocument(serverUrl = "/"): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, def] of Object.entries(routes) as [string, RouteDef][]) {
    const path = API_PREFIX + def.path.replace(/:([A-Za-z]+)/g, "{$1}");
    const status = String(def.status ?? (def.response ? 200 : 204));
    const errorStatuses = new Set<number>([400, 429, 500]);
    if (def.auth === "user") errorStatuses.add(401).add(403).add(404);
    for (const code of def.errors ?? []) errorStatuses.add(ERROR_STATUS[code as keyof typeof ERROR_STATUS]);
    const binary = { "application/octet-stream": { schema: { type: "string", format: "binary" } } };
    const responses: Record<string, unknown> = {
      [status]: def.raw?.response
        ? { description: "Success: raw bytes", content: binary }
        : def.response
          ? { description: "Success", content: { "application/json": { schema: jsonSchema(def.response, "output") } } }
          : { description: "No content" },
    };
    // Binary downloads honour a single Range and answer it with 206.
    if (def.raw?.response && def.method === "GET") responses["206"] = { description: "Partial content (Range)", content: binary };
    for (const s of [...errorStatuses].sort()) {
      responses[String(s)] = { description: "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
    }
    (paths[path] ??= {})[def.method.toLowerCase()] = {
      operationId: name,
      summary: def.summary,
      tags: [def.tag],
      ...(def.auth === "user" ? { security: [{ bearer: [] }] } : { security: [] }),
      parameters: parameters(def),
      ...(def.body
        ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(def.body, "input") } } } }
        : def.raw?.request
          ? { requestBody: { required: true, content: binary } }
          : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Parley API",
      version: String(API_VERSION),
      description: "REST API of Parley. Real-time frames are described in docs/protocol.md (WebSocket at /api/v1/ws).",
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      schemas: { Error: ErrorBodySchema },
    },
    paths,
  };
}
