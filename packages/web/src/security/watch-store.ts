/**
 * The signed-in device's DeviceWatch, shared by the banner, the verify dialog
 * and the security panel, with a version so React re-renders on changes.
 * Checks fetch the directory's active devices of channel members.
 */
import { useSyncExternalStore } from "react";
import type { ChatStore } from "../client/chat-store.ts";
import { activeDevices } from "../client/extras.ts";
import { DeviceWatch } from "./device-watch.ts";

interface Entry {
  watch: DeviceWatch;
  version: number;
  listeners: Set<() => void>;
}
const entries = new WeakMap<ChatStore, Entry>();

function entry(chat: ChatStore): Entry {
  let e = entries.get(chat);
  if (!e) entries.set(chat, (e = { watch: new DeviceWatch(chat.client.session?.deviceId ?? chat.me.id), version: 0, listeners: new Set() }));
  return e;
}

/** Tell the views something changed. */
export function watchChanged(chat: ChatStore): void {
  const e = entry(chat);
  e.version++;
  for (const fn of e.listeners) fn();
}

/** The DeviceWatch, re-rendering the caller when it changes. */
export function useDeviceWatch(chat: ChatStore): DeviceWatch {
  const e = entry(chat);
  useSyncExternalStore(
    (fn) => {
      e.listeners.add(fn);
      return () => e.listeners.delete(fn);
    },
    () => e.version,
  );
  return e.watch;
}

/**
 * Compare users' active devices with what this device has seen; new ones become warnings, except
 * those their owner approved with their identity key (checked here, ADR 0007).
 */
export async function checkDevices(chat: ChatStore, userIds: string[]): Promise<void> {
  const { watch } = entry(chat);
  const devices = await activeDevices(chat, userIds);
  const fresh = watch.observe(devices, chat.client.session?.deviceId);
  const pending = watch.pending(userIds);
  let settled = false;
  if (pending.length) {
    const trust = await chat.client.deviceTrust([...new Set(pending.map((d) => d.userId))]);
    settled = watch.settle(new Set(trust.flatMap((t) => t.approved)));
  }
  if (fresh.length || settled) watchChanged(chat);
}
