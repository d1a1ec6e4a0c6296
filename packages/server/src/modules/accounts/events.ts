import { userKey, type BusKeys } from "../../platform/bus/bus.ts";

/** Bus topics of the accounts module (the gateway acts on them; no frame of their own). */
declare module "../../platform/bus/bus.ts" {
  interface BusTopics {
    /** Sessions ended (logout, revoke, deactivate): gateways close the matching sockets. */
    "auth.revoked": { orgId: string; userId: string; sessionIds?: string[]; deviceIds?: string[]; all?: boolean };
  }
}

/** The topic by name (the gateway subscribes to it). */
export const REVOKED_TOPIC = "auth.revoked" as const;

/** Bus keys: the nodes serving the user's connections. */
export const accountsBusKeys: BusKeys<typeof REVOKED_TOPIC> = {
  "auth.revoked": (m) => userKey(m.userId),
};
