import { orgKey, userKey, type BusKeys } from "../../platform/bus/bus.ts";

/** Bus topics of the access module (gateways act on them; no frame of their own). */
declare module "../../platform/bus/bus.ts" {
  interface BusTopics {
    /** An org's custom roles, policies or channel labels changed: processes reload their cached copy. */
    "access.changed": { orgId: string; version: number };
    /**
     * These users' built-in role or SCIM groups changed: gateways close their open connections
     * (1012, the SDK reconnects at once) so each comes back with a freshly resolved principal.
     */
    "access.identity": { orgId: string; userIds: string[]; what: "role" | "groups" };
  }
}

/** The topic by name (the gateway subscribes to it). */
export const ACCESS_TOPIC = "access.changed" as const;

/** The topic by name (the gateway subscribes to it). */
export const IDENTITY_TOPIC = "access.identity" as const;

/** Bus keys. */
export const accessBusKeys: BusKeys<typeof ACCESS_TOPIC | typeof IDENTITY_TOPIC> = {
  // Every process keeps a cached copy (requests check its version anyway): all nodes reload at
  // once. An admin's change, never per message.
  "access.changed": () => "all",
  // The nodes serving the users: one user's, or the org's connections.
  "access.identity": (m) => (m.userIds.length === 1 ? userKey(m.userIds[0]!) : orgKey(m.orgId)),
};
