/**
 * Devices that vanish from a call: a device whose connections all dropped (network gone, laptop
 * closed, browser crashed) cannot say it leaves, and would stay in the call — in its participant
 * list and, in a group call, holding its SFU sessions — until the call ends. When a node closes
 * the last connection it holds of a device that is in a call, it schedules a durable check after
 * `PARLEY_CALL_DISCONNECT_SECONDS`; a device that is connected then (it came back, or it still
 * had a connection on another node) stays, otherwise it leaves its calls with reason
 * `disconnected`, like a hang-up for the others.
 *
 * "Connected" is `devices.last_seen_at` after the close: a hello marks the device seen, and so
 * does every node still holding a connection of it when it hears `call.device-offline` (keyed by
 * the user: only nodes serving them get it). Nodes' clocks must agree to within the bus's delay.
 */
import type { Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { dropDevicesFromCalls } from "./lifecycle.ts";
import { presenceOf } from "./store.ts";

const DISCONNECT_JOB = "call.device-disconnected";

interface Offline {
  orgId: string;
  userId: string;
  deviceId: string;
  /** When the node closed its last connection of the device (ms). */
  since: number;
}

/** A node closed its last connection of this device: if the device is in a call, check on it later. */
export async function deviceWentOffline(deps: Deps, d: Omit<Offline, "since">): Promise<void> {
  const calls = await presenceOf(deps.db, d.orgId, { deviceIds: [d.deviceId] });
  if (calls.length === 0) return;
  const since = deps.now();
  // Nodes still holding a connection mark the device seen after `since`, even within its millisecond.
  deps.bus.publish("call.device-offline", { ...d, since });
  await runCommand(deps, { kind: "system", orgId: d.orgId, role: "owner", via: "server" }, "call.device-offline", async (_tx, fx) => {
    await fx.job(DISCONNECT_JOB, { ...d, since } satisfies Offline, { runAt: since + deps.config.callDisconnectSeconds * 1000, now: since });
  });
}

/** The check: a device not seen since it went offline leaves its calls (`disconnected`). */
export function disconnectHandlers(deps: Deps) {
  return {
    [DISCONNECT_JOB]: async (payload: unknown) => {
      const d = payload as Offline;
      await runCommand(deps, { kind: "system", orgId: d.orgId, role: "owner", via: "server" }, DISCONNECT_JOB, async (tx, fx) => {
        const device = await tx.selectFrom("devices").select("last_seen_at").where("id", "=", d.deviceId).where("org_id", "=", d.orgId).executeTakeFirst();
        if (!device || (device.last_seen_at ?? 0) > d.since) return;
        await dropDevicesFromCalls(tx, fx, d.orgId, { deviceIds: [d.deviceId] }, deps.now(), deps.sfu, "disconnected");
      });
    },
  };
}
