/**
 * The SCIM 2.0 service at /scim/v2 (RFC 7644) as its own Fastify scope: SCIM has its own
 * media type (application/scim+json, plain JSON accepted), its own error format (RFC 7644
 * §3.12: `{schemas, scimType, detail, status}`) and its own credentials (the org's SCIM
 * tokens, modules/scim/tokens.ts), so it does not go through the API v1 route table. Each
 * route parses, authenticates and calls one function of modules/scim; the per-address
 * limit runs first (app.ts), then one per token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { SCIM_PREFIX } from "@parley/protocol";
import type { Deps } from "../context.ts";
import type { ScimActor } from "../core/actor.ts";
import { invalidSyntax, ScimError, scimNotFound, toScimError } from "../modules/scim/errors.ts";
import { scimActorFor } from "../modules/scim/tokens.ts";
import { etagMatches, listParamsFromQuery, listParamsFromSearch, listResponse, project } from "../modules/scim/list.ts";
import { resourceTypeDocuments, schemaDocuments, serviceProviderConfig, type ResourceKind } from "../modules/scim/schemas.ts";
import { createUser, deleteUser, getUser, listUsers, patchUser, replaceUser, type ScimResult } from "../modules/scim/users.ts";
import { createGroup, deleteGroup, getGroup, listGroups, patchGroup, replaceGroup } from "../modules/scim/groups.ts";
import { scimBase } from "../modules/scim/base.ts";

const SCIM_TYPE = "application/scim+json; charset=utf-8";

function send(reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}): FastifyReply {
  for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
  return reply.code(status).type(SCIM_TYPE).send(JSON.stringify(body));
}

function sendError(reply: FastifyReply, e: ScimError): FastifyReply {
  const headers: Record<string, string> = {};
  if (e.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="parley-scim"';
  if (e.retryAfter) headers["Retry-After"] = String(e.retryAfter);
  return send(reply, e.status, e.body(), headers);
}

/** The SCIM error for anything thrown while serving SCIM (Fastify's own: bad JSON, wrong media type, body too large). */
function scimErrorOf(err: unknown): ScimError | undefined {
  const known = toScimError(err);
  if (known) return known;
  const fe = err as { code?: string; statusCode?: number; message?: string };
  if (fe?.code === "FST_ERR_CTP_BODY_TOO_LARGE") return new ScimError(413, undefined, "request body too large");
  if (fe?.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return new ScimError(415, undefined, "send application/scim+json (or application/json)");
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new ScimError(400, "invalidSyntax", fe.message ?? "bad request");
  return undefined;
}

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
};

export async function registerScim(app: FastifyInstance, deps: Deps): Promise<void> {
  const log = deps.log.child({ module: "scim" });
  const actors = new WeakMap<FastifyRequest, ScimActor>();
  const actorOf = (req: FastifyRequest): ScimActor => {
    const a = actors.get(req);
    if (!a) throw new ScimError(401, undefined, "not authenticated");
    return a;
  };

  await app.register(
    async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser(["application/scim+json", "application/json"], { parseAs: "string" }, (_req, body, done) => {
        const text = String(body);
        if (!text.trim()) return done(null, undefined);
        try {
          done(null, JSON.parse(text));
        } catch {
          done(invalidSyntax("the request body is not valid JSON"), undefined);
        }
      });
      scope.setErrorHandler((err, req, reply) => {
        const e = scimErrorOf(err);
        // 501 (an optional part of the RFC Parley does not offer) is an answer, not a failure.
        const answered = e && (e.status < 500 || e.status === 501);
        if (!answered) log.error({ err, reqId: req.id }, "SCIM request failed");
        return sendError(reply, answered ? e : new ScimError(500, undefined, "internal error; it has been logged with the request id"));
      });
      // Authenticate before the body is read: a request without a valid token costs nothing more.
      scope.addHook("onRequest", async (req) => {
        const actor = await scimActorFor(deps, header(req, "authorization"), req.ip);
        await deps.limits.user.consume(`scim:${actor.tokenId}`);
        actors.set(req, actor);
      });

      // ---- discovery (RFC 7644 §4) ------------------------------------------------------
      scope.get("/ServiceProviderConfig", async (_req, reply) => send(reply, 200, serviceProviderConfig(scimBase(deps))));
      scope.get("/ResourceTypes", async (_req, reply) => {
        const docs = resourceTypeDocuments(scimBase(deps));
        return send(reply, 200, listResponse(docs.length, 1, docs));
      });
      scope.get<{ Params: { id: string } }>("/ResourceTypes/:id", async (req, reply) => {
        const doc = resourceTypeDocuments(scimBase(deps)).find((d) => d.id === req.params.id);
        if (!doc) throw scimNotFound("ResourceType", req.params.id);
        return send(reply, 200, doc);
      });
      scope.get("/Schemas", async (_req, reply) => {
        const docs = schemaDocuments(scimBase(deps));
        return send(reply, 200, listResponse(docs.length, 1, docs));
      });
      scope.get<{ Params: { id: string } }>("/Schemas/:id", async (req, reply) => {
        const doc = schemaDocuments(scimBase(deps)).find((d) => d.id === req.params.id);
        if (!doc) throw scimNotFound("Schema", req.params.id);
        return send(reply, 200, doc);
      });

      // ---- Users and Groups --------------------------------------------------------------
      const resources = [
        {
          kind: "User" as const,
          path: "/Users",
          list: listUsers,
          get: getUser,
          create: createUser,
          replace: replaceUser,
          patch: patchUser,
          remove: deleteUser,
        },
        {
          kind: "Group" as const,
          path: "/Groups",
          list: listGroups,
          get: getGroup,
          create: createGroup,
          replace: replaceGroup,
          patch: patchGroup,
          remove: deleteGroup,
        },
      ];
      for (const r of resources) {
        const answer = (req: FastifyRequest, reply: FastifyReply, res: ScimResult, kind: ResourceKind) => {
          const q = listParamsFromQuery(req.query as Record<string, unknown>);
          const body = project(kind, res.body, q.attributes, q.excludedAttributes);
          const headers: Record<string, string> = res.etag ? { ETag: res.etag } : {};
          if (res.status === 201) headers.Location = String((res.body.meta as { location: string }).location);
          return send(reply, res.status, body, headers);
        };
        scope.get(r.path, async (req, reply) => send(reply, 200, await r.list(deps, actorOf(req), listParamsFromQuery(req.query as Record<string, unknown>))));
        scope.post(`${r.path}/.search`, async (req, reply) => send(reply, 200, await r.list(deps, actorOf(req), listParamsFromSearch(req.body))));
        scope.post(r.path, async (req, reply) => answer(req, reply, await r.create(deps, actorOf(req), req.body), r.kind));
        scope.get<{ Params: { id: string } }>(`${r.path}/:id`, async (req, reply) => {
          const res = await r.get(deps, actorOf(req), req.params.id);
          // RFC 7644 §3.14: a conditional GET whose ETag still matches is 304, no body.
          const ifNoneMatch = header(req, "if-none-match");
          if (ifNoneMatch && res.etag && etagMatches(ifNoneMatch, res.etag)) return reply.code(304).header("ETag", res.etag).send();
          return answer(req, reply, res, r.kind);
        });
        scope.put<{ Params: { id: string } }>(`${r.path}/:id`, async (req, reply) =>
          answer(req, reply, await r.replace(deps, actorOf(req), req.params.id, req.body, header(req, "if-match")), r.kind),
        );
        scope.patch<{ Params: { id: string } }>(`${r.path}/:id`, async (req, reply) =>
          answer(req, reply, await r.patch(deps, actorOf(req), req.params.id, req.body, header(req, "if-match")), r.kind),
        );
        scope.delete<{ Params: { id: string } }>(`${r.path}/:id`, async (req, reply) => {
          await r.remove(deps, actorOf(req), req.params.id, header(req, "if-match"));
          return reply.code(204).send();
        });
      }

      // Optional parts of the RFC Parley does not offer: 501 as §3.7 and §3.11 ask.
      for (const path of ["/Bulk", "/Me", "/.search"]) {
        scope.all(path, async (req) => {
          throw new ScimError(501, undefined, `${req.method} ${SCIM_PREFIX}${path} is not supported (see /ServiceProviderConfig)`);
        });
      }
      // Anything else under the prefix is a SCIM 404 (not the web app's fallback).
      scope.all("/*", async (req) => {
        throw new ScimError(404, undefined, `no SCIM endpoint ${req.method} ${req.url.split("?")[0]}`);
      });
    },
    { prefix: SCIM_PREFIX },
  );
}
