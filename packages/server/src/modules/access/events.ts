/** Bus topics of the access module (gateways act on them; no frame of their own). */
declare module "../../platform/bus/bus.ts" {
  interface BusTopics {
    /** An org's custom roles, policies or channel labels changed: processes reload their cached copy. */
    "access.changed": { orgId: string; version: number };
  }
}

/** The topic by name (the gateway subscribes to it). */
export const ACCESS_TOPIC = "access.changed" as const;
