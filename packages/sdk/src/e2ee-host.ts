/**
 * What a client's E2EE engine sees of it (the engine's E2eeHost): the REST client and the local
 * store, each channel's history policy and facts, the client's events (decrypted ones through its
 * delivery chain, notices straight to its listeners) and its sends for history keys.
 */
import { eventsBetween } from "./backfill.ts";
import type { ClientMessages } from "./client-messages.ts";
import type { Delivery } from "./delivery.ts";
import type { E2eeHost } from "./e2ee/engine-types.ts";
import type { HistoryPolicies } from "./history-policies.ts";
import type { LocalStore, StoredSession } from "./store.ts";

export interface E2eeHostParts {
  session: StoredSession;
  store: LocalStore;
  policies: HistoryPolicies;
  delivery: Delivery;
  /** Everything the server has for the channel, fetched and processed. */
  catchUp(channelId: string): Promise<void>;
}

/** The host of `client`'s E2EE engine. */
export function e2eeHost(client: ClientMessages, { session, store, policies, delivery, catchUp }: E2eeHostParts): E2eeHost {
  return {
    api: client.api,
    session: { orgId: session.orgId, userId: session.userId, deviceId: session.deviceId },
    store,
    backfill: (channelId, after, upTo) => eventsBetween(store, client.api, channelId, after, upTo),
    catchUp,
    deliver: (e, content) => delivery.emitEvent(e, content),
    undecryptable: (n) => client.emit("undecryptable", n),
    historyUnavailable: (n) => client.emit("historyUnavailable", n),
    historyKeys: (n) => client.emit("historyKeys", n),
    historyPolicy: (channelId) => policies.policy(channelId),
    isPublicChannel: (channelId) => policies.isPublic(channelId),
    channelFacts: (channelId, fresh) => policies.facts(channelId, fresh),
    knownChannels: () => policies.allFacts(),
    archiveStatus: (n) => client.emit("archive.status", n),
    sendKeys: async (channelId, content) => {
      await client.send(channelId, { ...content, kind: "keys" });
    },
    onError: (err) => client.emit("error", err),
  };
}
