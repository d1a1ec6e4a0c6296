// Who in a call this device has verified (docs/calls.md, "Verified devices"): the call screens'
// marks and participants panel read it. Nothing new is decided here: the person's status is the
// security code's (DeviceWatch.status against the current safety number, security/watch-store.ts),
// and a device is "new" exactly when the new-device warning holds it (DeviceWatch.pending after
// checkDevices, which settles the devices their owner approved with their identity key).
import { useEffect, useState } from "react";
import type { ChatStore } from "../client/chat-store.ts";
import { safetyNumber } from "../client/extras.ts";
import { checkDevices, useDeviceWatch } from "../security/watch-store.ts";

/** What a participant's mark says: this user; the person verified; their safety number changed since; not verified; or this device of theirs is new and nobody approved it. */
export type TrustMark = "you" | "verified" | "changed" | "unverified" | "new-device";

/** How this device knows a participant's call device: approved by its owner (identity key), seen before, or new and unapproved. */
export type DeviceKnown = "yours" | "approved" | "seen" | "new";

/** A participant's marks. */
export interface ParticipantTrust {
  mark: TrustMark;
  device: DeviceKnown;
}

/** The marks of a call's participants, updated as devices are checked and people verified. */
export function useCallTrust(
  chat: ChatStore,
  people: ReadonlyArray<{ userId: string; deviceId: string }>,
): (userId: string, deviceId: string) => ParticipantTrust {
  const watch = useDeviceWatch(chat);
  const [numbers, setNumbers] = useState<ReadonlyMap<string, string>>(new Map());
  const [approved, setApproved] = useState<ReadonlySet<string>>(new Set());
  const others = [...new Set(people.map((p) => p.userId).filter((u) => u !== chat.me.id))].sort();
  const key = `${others.join(",")}|${people
    .map((p) => p.deviceId)
    .sort()
    .join(",")}`;
  useEffect(() => {
    let live = true;
    const users = key.split("|")[0]!.split(",").filter(Boolean);
    if (!users.length) return;
    (async () => {
      // Records the devices (a new one becomes pending unless its owner approved it), as the channel view does.
      await checkDevices(chat, users);
      const trust = await chat.client.deviceTrust(users);
      const nums = await Promise.all(users.map(async (u) => [u, await safetyNumber(chat, u)] as const));
      if (!live) return;
      setApproved(new Set(trust.flatMap((t) => t.approved)));
      setNumbers(new Map(nums));
    })().catch(() => undefined);
    return () => {
      live = false;
    };
  }, [chat, key]);
  return (userId, deviceId) => {
    if (userId === chat.me.id) return { mark: "you", device: "yours" };
    const fresh = watch.pending([userId]).some((d) => d.deviceId === deviceId);
    const device: DeviceKnown = approved.has(deviceId) ? "approved" : fresh ? "new" : "seen";
    if (fresh) return { mark: "new-device", device };
    const n = numbers.get(userId);
    return { mark: n ? watch.status(userId, n) : "unverified", device };
  };
}
