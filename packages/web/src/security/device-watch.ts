/**
 * Which devices of other people this device has seen, to warn when a member
 * adds one ("Bob added a new device — verify"). Trust on first use: the first
 * time a user is seen, all their active devices are recorded silently; a
 * device id that appears later is "new" until the user verifies the safety
 * number or dismisses the warning. Verified safety numbers are kept too, so
 * the UI can say when one changed. Stored in localStorage per device of ours
 * (a new sign-in is a new device and starts over).
 */

/** A device that appeared after the user was first seen. */
export interface NewDevice {
  userId: string;
  deviceId: string;
}

interface Saved {
  /** userId -> device ids seen (known or pending). */
  seen: Record<string, string[]>;
  /** New devices not yet acknowledged. */
  pending: NewDevice[];
  /** userId -> safety number the user confirmed. */
  verified: Record<string, string>;
}

type KV = Pick<Storage, "getItem" | "setItem">;

const empty = (): Saved => ({ seen: {}, pending: [], verified: {} });

/** Known devices and verifications of one signed-in device. */
export class DeviceWatch {
  readonly #key: string;
  readonly #storage: KV;
  #s: Saved;

  constructor(ownDeviceId: string, storage: KV = localStorage) {
    this.#key = `parley.device-watch.v1.${ownDeviceId}`;
    this.#storage = storage;
    try {
      this.#s = { ...empty(), ...((JSON.parse(storage.getItem(this.#key) ?? "null") as Partial<Saved> | null) ?? {}) };
    } catch {
      this.#s = empty();
    }
  }

  /**
   * Record the active devices of users; returns the devices that are new
   * (not seen before, for a user seen before). `ownDeviceId` is never new.
   */
  observe(devices: Map<string, string[]>, ownDeviceId?: string): NewDevice[] {
    const fresh: NewDevice[] = [];
    for (const [userId, ids] of devices) {
      const seen = this.#s.seen[userId];
      if (!seen) {
        this.#s.seen[userId] = [...ids];
        continue;
      }
      for (const deviceId of ids) {
        if (seen.includes(deviceId)) continue;
        seen.push(deviceId);
        if (deviceId !== ownDeviceId) fresh.push({ userId, deviceId });
      }
    }
    if (fresh.length) this.#s.pending.push(...fresh);
    this.#save();
    return fresh;
  }

  /** New devices not yet acknowledged, of these users (all users when omitted). */
  pending(userIds?: readonly string[]): NewDevice[] {
    return this.#s.pending.filter((d) => !userIds || userIds.includes(d.userId));
  }

  /** Stop warning about a user's new devices (verified or dismissed). */
  acknowledge(userId: string): void {
    this.#s.pending = this.#s.pending.filter((d) => d.userId !== userId);
    this.#save();
  }

  /** Stop warning about these devices (their owner approved them with their identity key). */
  settle(deviceIds: ReadonlySet<string>): boolean {
    const before = this.#s.pending.length;
    this.#s.pending = this.#s.pending.filter((d) => !deviceIds.has(d.deviceId));
    if (this.#s.pending.length === before) return false;
    this.#save();
    return true;
  }

  /** Remember that the user compared this safety number with `userId`. */
  markVerified(userId: string, safetyNumber: string): void {
    this.#s.verified[userId] = safetyNumber;
    this.acknowledge(userId);
  }

  /** "verified" when the current safety number is the confirmed one, "changed" when it differs, else "unverified". */
  status(userId: string, currentSafetyNumber: string): "verified" | "changed" | "unverified" {
    const v = this.#s.verified[userId];
    return v === undefined ? "unverified" : v === currentSafetyNumber ? "verified" : "changed";
  }

  #save(): void {
    try {
      this.#storage.setItem(this.#key, JSON.stringify(this.#s));
    } catch {
      // Storage full or disabled: the warnings still work for this page's lifetime.
    }
  }
}
