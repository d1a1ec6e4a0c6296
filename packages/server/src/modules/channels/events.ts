import { orgKey, userKey, type BusKeys } from "../../platform/bus/bus.ts";

/** Bus topics of the channels module (the gateway routes on them; no frame of their own). */
declare module "../../platform/bus/bus.ts" {
  interface BusTopics {
    /** Membership changed: gateways update their channel -> sockets index. */
    "channel.members": { orgId: string; channelId: string; added: string[]; removed: string[] };
  }
}

/** The topic by name (the gateway subscribes to it). */
export const MEMBERS_TOPIC = "channel.members" as const;

/** Bus keys: the nodes serving the users added or removed (one user: that user's; several: the org's). */
export const channelsBusKeys: BusKeys<typeof MEMBERS_TOPIC> = {
  "channel.members": (m) => {
    const users = m.added.length + m.removed.length;
    return users === 1 ? userKey(m.added[0] ?? m.removed[0]!) : orgKey(m.orgId);
  },
};
