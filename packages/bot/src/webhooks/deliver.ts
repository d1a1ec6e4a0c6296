/**
 * One delivery attempt of an outgoing webhook: the SSRF check, then a POST to the checked
 * address (never a fresh lookup), a hard time limit, and no redirects — a 3xx is an answer,
 * reported with where it pointed, never followed.
 */
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { checkTarget, TargetRefused } from "./ssrf.ts";

/** The outcome of one attempt; `retry` says whether another attempt may succeed. */
export type Attempt = { ok: true; status: number } | { ok: false; retry: boolean; status: number | null; error: string };

export interface AttemptRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  allow: readonly string[];
  timeoutMs: number;
  /** Extra CA certificates trusted for https targets (on-premises receivers). */
  ca?: string | string[];
}

/** 408, 425, 429 and 5xx may pass later; any other status is final. */
const retryable = (status: number) => status === 408 || status === 425 || status === 429 || status >= 500;

export async function attemptDelivery(r: AttemptRequest): Promise<Attempt> {
  let target;
  try {
    target = await checkTarget(r.url, r.allow);
  } catch (err) {
    if (err instanceof TargetRefused) return { ok: false, retry: err.reason === "unresolvable", status: null, error: `ssrf_refused: ${err.message}` };
    throw err;
  }
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all)
      (cb as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: target.address, family: target.family }]);
    else cb(null, target.address, target.family);
  };
  const lib = target.url.protocol === "https:" ? https : http;
  return new Promise<Attempt>((resolve) => {
    const req = lib.request(
      target.url,
      {
        method: "POST",
        lookup: pinned,
        headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(r.body)), ...r.headers },
        ...(target.url.protocol === "https:" ? { servername: target.host, ...(r.ca ? { ca: r.ca } : {}) } : {}),
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        res.on("end", () => {
          if (status >= 200 && status < 300) resolve({ ok: true, status });
          else if (status >= 300 && status < 400) {
            resolve({
              ok: false,
              retry: false,
              status,
              error: `redirect_refused: the target answered ${status} to ${String(res.headers.location ?? "(no location)")}`,
            });
          } else resolve({ ok: false, retry: retryable(status), status, error: `http_${status}` });
        });
        res.on("error", (err) => resolve({ ok: false, retry: true, status, error: `response_error: ${err.message}` }));
      },
    );
    // One limit for the whole exchange: a target that accepts and then hangs is cut off too.
    const timer = setTimeout(() => req.destroy(new Error("timeout")), r.timeoutMs);
    req.on("close", () => clearTimeout(timer));
    req.on("error", (err) => {
      const msg =
        err.message === "timeout" ? `timeout: no answer within ${r.timeoutMs} ms` : `network_error: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
      resolve({ ok: false, retry: true, status: null, error: msg });
    });
    req.end(r.body);
  });
}
