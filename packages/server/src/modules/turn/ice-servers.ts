/**
 * The ICE servers a device gets for a call: STUN plus TURN with a credential minted for its
 * user (platform/turn). Limited per device, since each answer is a fresh relay credential; not
 * audited: it changes no state, and coturn's log shows each allocation under the opaque ref.
 */
import type { Deps, DeviceActor } from "../../context.ts";
import { iceServersFor, type IceServer } from "../../platform/turn/credentials.ts";

export async function getIceServers(deps: Deps, principal: DeviceActor): Promise<{ iceServers: IceServer[]; expiresAt: number | null }> {
  await deps.limits.turnCredentials.consume(principal.deviceId);
  const minted = iceServersFor(deps.config, principal.userId);
  if (!minted) return { iceServers: [], expiresAt: null };
  deps.metrics.turnCredentials.inc();
  return minted;
}
