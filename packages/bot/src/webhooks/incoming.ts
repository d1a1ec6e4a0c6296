/**
 * Incoming webhooks: the bot runtime serves `POST /hooks/<integrationId>` over HTTPS. A call
 * carries the integration's secret token (`Authorization: Bearer <token>`; only its SHA-256 is
 * stored) and, when the integration has a signing secret, `X-Parley-Signature: t=..,v1=..`
 * (see signature.ts). A valid call posts its text into the integration's channel through the
 * bot's {@link ChannelIO}, encrypted, labelled with the integration's name and where it runs.
 * Every refusal is a JSON `{ code, message }` with a fixed status (INCOMING_ERRORS).
 */
import crypto from "node:crypto";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import type { ChannelIO } from "./channel-io.ts";
import { tokenBuckets, type RateLimit } from "./rate-limit.ts";
import { SIGNATURE_TOLERANCE_S, verifySignature } from "./signature.ts";
import type { WebhookState } from "./state.ts";

/** Stable error codes of the incoming endpoint and their HTTP status. */
export const INCOMING_ERRORS = {
  not_found: 404,
  method_not_allowed: 405,
  unauthorized: 401,
  integration_disabled: 403,
  signature_missing: 401,
  signature_invalid: 401,
  signature_stale: 401,
  signature_replayed: 401,
  rate_limited: 429,
  body_too_large: 413,
  unsupported_media_type: 415,
  malformed_json: 400,
  invalid_body: 400,
  post_failed: 502,
} as const;
export type IncomingErrorCode = keyof typeof INCOMING_ERRORS;

/** The JSON body of a call. Unknown fields are ignored, so tools that add their own still post. */
const IncomingBody = z.object({
  text: z.string().trim().min(1).max(8000),
  /** Reply in the thread rooted at this seq. */
  threadRoot: z.number().int().positive().optional(),
});

export interface IncomingRow {
  id: string;
  name: string;
  channel_id: string;
  runs_at: string;
  token_hash: string;
  signing_secret: string | null;
}

const hash = (token: string) => crypto.createHash("sha256").update(token).digest("hex");

/**
 * Register an incoming webhook in the runtime's state. Returns its secret token (shown once;
 * only its hash is kept). With `signed`, calls must also carry a signature made with the
 * returned signing secret.
 */
export function addIncomingWebhook(
  state: WebhookState,
  i: { id: string; name: string; channelId: string; runsAt: string; signed?: boolean },
): { token: string; signingSecret: string | null } {
  const token = `whk_${crypto.randomBytes(32).toString("base64url")}`;
  const signingSecret = i.signed ? `whs_${crypto.randomBytes(32).toString("base64url")}` : null;
  state
    .prepare("INSERT INTO incoming (id, name, channel_id, runs_at, token_hash, signing_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .run(i.id, i.name, i.channelId, i.runsAt, hash(token), signingSecret, Date.now());
  return { token, signingSecret };
}

export interface IncomingOptions {
  state: WebhookState;
  io: ChannelIO;
  tls: { key: string; cert: string };
  host?: string;
  /** Port to listen on (the runtime's configuration names one). */
  port: number;
  /** Largest body accepted (default 64 KiB). */
  maxBodyBytes?: number;
  /**
   * Whether an admin left the integration enabled in the server's registry (e.g. the bot's view of
   * `listIntegrations`); a disabled one answers 403 `integration_disabled`. Default: always.
   */
  enabled?: (integrationId: string) => Promise<boolean>;
  /** Per integration (default 60 a minute, bursts of 10). */
  rateLimit?: RateLimit;
  now?: () => number;
}

export interface IncomingServer {
  url: string;
  close(): Promise<void>;
}

class Refusal extends Error {
  readonly code: IncomingErrorCode;
  readonly headers: Record<string, string>;
  constructor(code: IncomingErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.headers = headers;
  }
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > max) return Promise.reject(new Refusal("body_too_large", `the body is larger than ${max} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new Refusal("body_too_large", `the body is larger than ${max} bytes`));
        req.pause();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith("Bearer ") ? h.slice(7).trim() : undefined;
}

/** Serve the incoming webhooks of `state` until `close()`. */
export async function startIncomingWebhooks(o: IncomingOptions): Promise<IncomingServer> {
  const now = o.now ?? Date.now;
  const max = o.maxBodyBytes ?? 64 * 1024;
  const buckets = tokenBuckets(o.rateLimit ?? { perMinute: 60, burst: 10 }, now);
  const find = o.state.prepare<[string], IncomingRow>("SELECT * FROM incoming WHERE id = ?");
  const remember = o.state.prepare("INSERT OR IGNORE INTO replay (integration_id, signature, expires_at) VALUES (?, ?, ?)");
  const forget = o.state.prepare("DELETE FROM replay WHERE expires_at < ?");

  async function handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const m = /^\/hooks\/([A-Za-z0-9_-]{1,64})$/.exec(new URL(req.url ?? "/", "https://x").pathname);
    if (!m) throw new Refusal("not_found", "no such endpoint");
    if (req.method !== "POST") throw new Refusal("method_not_allowed", "use POST", { Allow: "POST" });
    const row = find.get(m[1]!);
    const token = bearer(req);
    // Unknown integration and wrong token answer alike, so ids cannot be probed.
    if (!row || !token || !crypto.timingSafeEqual(Buffer.from(hash(token), "hex"), Buffer.from(row.token_hash, "hex"))) {
      throw new Refusal("unauthorized", "unknown integration or wrong token");
    }
    if (o.enabled && !(await o.enabled(row.id))) throw new Refusal("integration_disabled", "an admin disabled this integration");
    const slot = buckets.take(row.id);
    if (!slot.ok) throw new Refusal("rate_limited", "too many calls for this integration", { "Retry-After": String(slot.retryAfterS) });
    if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) throw new Refusal("unsupported_media_type", "send application/json");
    const raw = await readBody(req, max);
    if (row.signing_secret) {
      const header = req.headers["x-parley-signature"];
      const v = verifySignature(row.signing_secret, Array.isArray(header) ? header[0] : header, raw, now());
      if (!v.ok) throw new Refusal(v.fault, "the signature is missing, wrong or outside the allowed clock skew");
      forget.run(now());
      // The cache outlives the tolerance window: a replay after it is refused as stale instead.
      if (remember.run(row.id, v.mac, (v.t + SIGNATURE_TOLERANCE_S + 1) * 1000).changes === 0) {
        throw new Refusal("signature_replayed", "this signature was used already");
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new Refusal("malformed_json", "the body is not JSON");
    }
    const body = IncomingBody.safeParse(json);
    if (!body.success) {
      const first = body.error.issues[0];
      throw new Refusal("invalid_body", `${first?.path.join(".") || "body"}: ${first?.message ?? "invalid"}`);
    }
    let seq: number;
    try {
      seq = await o.io.post(row.channel_id, body.data.text, {
        integration: { id: row.id, name: row.name, runsAt: row.runs_at },
        ...(body.data.threadRoot ? { threadRoot: body.data.threadRoot } : {}),
      });
    } catch (err) {
      throw new Refusal("post_failed", `the bot could not post: ${(err as Error).message}`);
    }
    return { status: 200, body: { ok: true, channelId: row.channel_id, seq } };
  }

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const server = https.createServer({ key: o.tls.key, cert: o.tls.cert }, (req, res) => {
    handle(req).then(
      (r) => send(res, r.status, r.body),
      (err: unknown) => {
        const r = err instanceof Refusal ? err : new Refusal("post_failed", "internal error");
        // A refused body is not read to its end: close the connection rather than drain it.
        if (r.code === "body_too_large") res.setHeader("connection", "close");
        send(res, INCOMING_ERRORS[r.code], { code: r.code, message: r.message }, r.headers);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://${o.host ?? "127.0.0.1"}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
