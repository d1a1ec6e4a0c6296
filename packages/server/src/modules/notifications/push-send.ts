/**
 * The `push.send` job: one Web Push message to one subscription. The payload is ids only
 * (PushPayload: org, channel, seq, sender), encrypted to the subscription's keys (RFC 8291,
 * aes128gcm) and signed with the deployment's VAPID key (RFC 8292) by the `web-push` library;
 * the request itself is ours (fetch, no redirects, a timeout), so the endpoint checks apply at
 * send time too. 404/410 from the push service means the subscription is gone: it is deleted.
 * Any other failure throws, so the job runner retries with backoff and gives up (dead) after
 * its attempts.
 */
import webpush from "web-push";
import type { PushPayload } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import type { JobHandler } from "../../platform/jobs/index.ts";
import { runCommand } from "../../command.ts";
import { systemActor } from "../../core/actor.ts";
import { checkEndpoint } from "./subscriptions.ts";
import { vapidKeys } from "./vapid.ts";

export const PUSH_SEND_JOB = "push.send";

/** How long a push service may keep an undelivered message (seconds). */
const PUSH_TTL_SECONDS = 24 * 3600;
const REQUEST_TIMEOUT_MS = 10_000;

export interface PushJob {
  subscriptionId: string;
  orgId: string;
  channelId: string;
  seq: number;
  senderId: string;
}

/** Who push services may contact about our traffic (VAPID `sub`). */
function contact(deps: Deps): string {
  if (deps.config.pushContact) return deps.config.pushContact;
  const url = deps.publicUrl.get();
  return url.startsWith("https://") ? url : "mailto:postmaster@localhost";
}

async function send(deps: Deps, job: PushJob): Promise<void> {
  const sub = await deps.db
    .selectFrom("push_subscriptions")
    .selectAll()
    .where("id", "=", job.subscriptionId)
    .where("org_id", "=", job.orgId)
    .executeTakeFirst();
  if (!sub) return; // deleted meanwhile
  checkEndpoint(deps, sub.endpoint);
  const keys = await vapidKeys(deps);
  const payload: PushPayload = { v: 1, orgId: job.orgId, channelId: job.channelId, seq: job.seq, senderId: job.senderId };
  const req = webpush.generateRequestDetails({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, JSON.stringify(payload), {
    vapidDetails: { subject: contact(deps), publicKey: keys.publicKey, privateKey: keys.privateKey },
    TTL: PUSH_TTL_SECONDS,
    urgency: "high",
    contentEncoding: "aes128gcm",
  });
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.toLowerCase() !== "content-length")) as Record<string, string>;
  const res = await fetch(req.endpoint, {
    method: req.method,
    headers,
    body: req.body ? new Uint8Array(req.body) : null,
    redirect: "manual",
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  await res.body?.cancel();
  if (res.status === 404 || res.status === 410) {
    await runCommand(deps, systemActor(job.orgId, "server"), "push.expired", (tx) => tx.deleteFrom("push_subscriptions").where("id", "=", sub.id).execute());
    deps.log.info({ job: PUSH_SEND_JOB, subscription: sub.id, status: res.status }, "push subscription expired: deleted");
    return;
  }
  if (res.status < 200 || res.status > 299) throw new Error(`the push service answered HTTP ${res.status}`);
}

export function pushJobHandlers(deps: Deps): Record<string, JobHandler> {
  return { [PUSH_SEND_JOB]: (payload) => send(deps, payload as PushJob) };
}
