/**
 * Serves the built web app (packages/web/dist, or PARLEY_WEB_DIR) at `/`.
 *
 * Cache rules: Vite names everything under /assets/ by content hash, so those
 * files are immutable for a year; everything else (index.html, the manifest,
 * the service worker) must be revalidated on every load, or a browser keeps
 * running an old app against a new server.
 *
 * SPA fallback: a browser navigation (GET that accepts text/html) to a path
 * that is not a file and not under /api/ gets index.html, so client-side
 * routes such as /invite/:token survive a reload. API clients keep getting the
 * JSON 404 of the not-found handler.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ErrorBody } from "@parley/protocol";

/** The repo's built web app, used when PARLEY_WEB_DIR is not set. */
const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../../web/dist", import.meta.url));

/** The directory to serve, or undefined when there is no built app (the API still works). */
function resolveWebDir(configured: string | undefined): string | undefined {
  const dir = path.resolve(configured ?? DEFAULT_WEB_DIR);
  return fs.existsSync(path.join(dir, "index.html")) ? dir : undefined;
}

const NO_CACHE = "no-cache";
const IMMUTABLE = "public, max-age=31536000, immutable";

/** Register the static web app; returns the directory served, if any. */
export async function registerWebApp(app: FastifyInstance, configured: string | undefined): Promise<string | undefined> {
  const root = resolveWebDir(configured);
  if (!root) return undefined;
  await app.register(fastifyStatic, {
    root,
    // One route per built file (read at boot): unknown paths fall through to the SPA route below.
    wildcard: false,
    index: false,
    cacheControl: false,
    setHeaders(reply, filePath) {
      const rel = path.relative(root, filePath).split(path.sep).join("/");
      void reply.header("Cache-Control", rel.startsWith("assets/") ? IMMUTABLE : NO_CACHE);
    },
  });
  const sendIndex = (reply: FastifyReply) => reply.sendFile("index.html", root);
  app.get("/", { schema: { hide: true } }, (_req, reply) => sendIndex(reply));
  app.get("/*", { schema: { hide: true } }, (req, reply) => {
    const urlPath = req.url.split("?")[0]!;
    const isApi = urlPath === "/api" || urlPath.startsWith("/api/");
    const wantsHtml = (req.headers.accept ?? "").includes("text/html");
    // A missing hashed asset is a real 404 (a stale tab after a deploy), never the app shell.
    if (isApi || !wantsHtml || urlPath.startsWith("/assets/")) {
      return reply.code(404).send({ code: "not_found", message: `no route ${req.method} ${urlPath}` } satisfies ErrorBody);
    }
    return sendIndex(reply);
  });
  return root;
}
