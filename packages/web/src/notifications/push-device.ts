/**
 * Web Push on this device (issue 13): subscribe the service worker's PushManager with the
 * server's VAPID key and register the subscription; and keep the service worker told the names
 * of the user's channels, so a push (which carries ids only) can say where the new message is.
 * Channel names are metadata the server has anyway; message content never reaches the worker.
 */
import type { MyChannel } from "@parley/protocol";
import type { ChatStore } from "../client/chat-store.ts";

/** Whether this browser can receive Web Push at all. */
export function pushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** Ask for permission, subscribe with the server's key and register the subscription; returns its id. */
export async function enablePush(chat: ChatStore): Promise<string> {
  if (!pushSupported()) throw new Error("This browser cannot receive push notifications.");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("Notifications are blocked for this site: allow them in the browser's site settings.");
  const reg = await navigator.serviceWorker.ready;
  const { publicKey } = await chat.client.api.call("getPushKey");
  const key = Uint8Array.from(atob(publicKey.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const sub = (await reg.pushManager.getSubscription()) ?? (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }));
  const json = sub.toJSON() as { endpoint: string; keys: { p256dh: string; auth: string } };
  const saved = await chat.client.api.call("createPushSubscription", { body: { endpoint: json.endpoint, keys: json.keys } });
  tellChannelNames(chat.channels, (c) => chat.channelTitle(c));
  return saved.id;
}

/** Unsubscribe this browser and delete the server's record of it. */
export async function disablePush(chat: ChatStore): Promise<void> {
  const reg = await navigator.serviceWorker.ready;
  const sub = await reg.pushManager.getSubscription();
  if (!sub) return;
  const { subscriptions } = await chat.client.api.call("listPushSubscriptions");
  for (const s of subscriptions) if (s.endpoint === sub.endpoint) await chat.client.api.call("deletePushSubscription", { params: { subscriptionId: s.id } });
  await sub.unsubscribe();
}

/** Whether this browser has a push subscription now. */
export async function pushEnabled(): Promise<boolean> {
  if (!pushSupported()) return false;
  const reg = await navigator.serviceWorker.getRegistration();
  return Boolean(await reg?.pushManager.getSubscription());
}

/** Give the service worker the channels' display names (it keeps them for pushes that arrive with no tab open). */
export function tellChannelNames(channels: readonly MyChannel[], title: (c: MyChannel) => string): void {
  const sw = "serviceWorker" in navigator ? navigator.serviceWorker.controller : null;
  if (!sw) return;
  const names: Record<string, string> = {};
  for (const c of channels) names[c.id] = c.kind === "dm" || c.kind === "group_dm" ? title(c) : `#${title(c)}`;
  sw.postMessage({ type: "CHANNEL_NAMES", names });
}
