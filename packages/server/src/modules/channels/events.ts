/** Bus topics of the channels module (the gateway routes on them; no frame of their own). */
declare module "../../platform/bus/bus.ts" {
  interface BusTopics {
    /** Membership changed: gateways update their channel -> sockets index. */
    "channel.members": { orgId: string; channelId: string; added: string[]; removed: string[] };
  }
}

/** The topic by name (the gateway subscribes to it). */
export const MEMBERS_TOPIC = "channel.members" as const;
