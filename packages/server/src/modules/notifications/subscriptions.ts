/**
 * Web Push subscriptions: each of a user's devices registers the PushSubscription its browser
 * made; the endpoint must be https (a test-only setting also allows http://127.0.0.1, where
 * tests run their own push receiver); a device holds a bounded number of them. Only the owner
 * lists or deletes them; another user's or org's id is simply not found.
 */
import type { PushSubscription, RouteBody } from "@parley/protocol";
import type { DeviceActor, Deps } from "../../context.ts";
import type { PushSubscriptionsTable } from "../../platform/db/notification-tables.ts";
import { runCommand } from "../../command.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { newId } from "../../platform/ids.ts";

type NewSubscription = RouteBody<(typeof import("@parley/protocol").routes)["createPushSubscription"]>;

const view = (r: PushSubscriptionsTable): PushSubscription => ({ id: r.id, deviceId: r.device_id, endpoint: r.endpoint, createdAt: Number(r.created_at) });

/** Throws push_endpoint_invalid unless `endpoint` is a URL this server may post pushes to. */
export function checkEndpoint(deps: Pick<Deps, "config">, endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new AppError("push_endpoint_invalid", "the push endpoint is not a URL", { reason: "not_a_url" });
  }
  if (url.username || url.password) throw new AppError("push_endpoint_invalid", "the push endpoint must not carry credentials", { reason: "credentials" });
  if (url.protocol === "https:") return;
  if (deps.config.pushAllowLoopback && url.protocol === "http:" && url.hostname === "127.0.0.1") return;
  throw new AppError("push_endpoint_invalid", "the push endpoint must be an https URL", { reason: "not_https" });
}

/** The P-256 point must be an uncompressed point (65 bytes) and the auth secret 16 bytes, as browsers make them. */
function checkKeys(keys: NewSubscription["keys"]): void {
  const p256dh = Buffer.from(keys.p256dh, "base64url");
  if (p256dh.length !== 65 || p256dh[0] !== 4) throw new AppError("validation_failed", "keys.p256dh must be an uncompressed P-256 public key (65 bytes)");
  if (Buffer.from(keys.auth, "base64url").length !== 16) throw new AppError("validation_failed", "keys.auth must be 16 bytes");
}

export function createPushSubscription(deps: Deps, p: DeviceActor, body: NewSubscription): Promise<PushSubscription> {
  checkEndpoint(deps, body.endpoint);
  checkKeys(body.keys);
  return runCommand(deps, p, "push.subscribe", async (tx) => {
    const now = deps.now();
    const existing = await tx
      .selectFrom("push_subscriptions")
      .selectAll()
      .where("device_id", "=", p.deviceId)
      .where("endpoint", "=", body.endpoint)
      .executeTakeFirst();
    if (existing) {
      // The browser re-subscribed with the same endpoint (new keys after a key rotation): keep the row.
      await tx.updateTable("push_subscriptions").set({ p256dh: body.keys.p256dh, auth: body.keys.auth }).where("id", "=", existing.id).execute();
      return view(existing);
    }
    const count = await tx
      .selectFrom("push_subscriptions")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("device_id", "=", p.deviceId)
      .executeTakeFirstOrThrow();
    const limit = deps.config.pushSubscriptionsPerDevice;
    if (Number(count.n) >= limit)
      throw new AppError("push_subscription_limit", `this device already has ${limit} push subscriptions: delete one first`, { limit });
    const row: PushSubscriptionsTable = {
      id: newId("psub"),
      org_id: p.orgId,
      user_id: p.userId,
      device_id: p.deviceId,
      endpoint: body.endpoint,
      p256dh: body.keys.p256dh,
      auth: body.keys.auth,
      created_at: now,
      next_push_at: 0,
    };
    await tx.insertInto("push_subscriptions").values(row).execute();
    return view(row);
  });
}

export async function listPushSubscriptions(deps: Deps, p: DeviceActor): Promise<{ subscriptions: PushSubscription[] }> {
  const rows = await deps.db
    .selectFrom("push_subscriptions")
    .selectAll()
    .where("org_id", "=", p.orgId)
    .where("user_id", "=", p.userId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return { subscriptions: rows.map(view) };
}

export function deletePushSubscription(deps: Deps, p: DeviceActor, id: string): Promise<void> {
  return runCommand(deps, p, "push.unsubscribe", async (tx) => {
    const res = await tx.deleteFrom("push_subscriptions").where("id", "=", id).where("org_id", "=", p.orgId).where("user_id", "=", p.userId).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound("push subscription");
  });
}
