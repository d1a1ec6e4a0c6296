/**
 * Every bus topic's key (platform/bus/bus.ts, BusKey): realtime routes are keyed by their
 * audience (a channel's or a user's connections); the topics the gateway acts on itself declare
 * their key in their module's events.ts. The type below fails to compile when a topic has none.
 */
import { channelKey, orgKey, platformKeys, userKey, type BusKey, type BusKeys, type KeyOf, type Topic } from "../platform/bus/bus.ts";
import { accessBusKeys } from "../modules/access/events.ts";
import { accountsBusKeys } from "../modules/accounts/events.ts";
import { channelsBusKeys } from "../modules/channels/events.ts";
import { messagesRoutes } from "../modules/messages/events.ts";
import { inboxRoutes } from "../modules/inbox/events.ts";
import { profileRoutes, streamsRoutes } from "../modules/streams/events.ts";
import { timelineRoutes } from "../modules/timeline/events.ts";
import { emojiRoutes } from "../modules/personal/emoji-events.ts";
import { callsBusKeys, callsRoutes } from "../modules/calls/events.ts";
import type { Audience, RealtimeRoute } from "./realtime.ts";

/** Every module's realtime routes (the gateway subscribes to each). */
export const REALTIME_ROUTES = [...timelineRoutes, ...messagesRoutes, ...streamsRoutes, ...inboxRoutes, ...profileRoutes, ...emojiRoutes, ...callsRoutes];
type RouteTopic = (typeof REALTIME_ROUTES)[number]["topic"];

const audienceKey = (a: Audience): BusKey => ("channelId" in a ? channelKey(a.channelId) : "userId" in a ? userKey(a.userId) : orgKey(a.orgId));

const routeKeys = new Map<Topic, (msg: unknown) => BusKey>(
  (REALTIME_ROUTES as readonly RealtimeRoute[]).map((r) => [r.topic, (m) => audienceKey(r.audience(m as never))]),
);
const declared: BusKeys<Exclude<Topic, RouteTopic>> = { ...platformKeys, ...channelsBusKeys, ...accessBusKeys, ...accountsBusKeys, ...callsBusKeys };

export const busKeyOf: KeyOf = (topic, msg) => {
  const route = routeKeys.get(topic);
  if (route) return route(msg);
  return (declared[topic as Exclude<Topic, RouteTopic>] as (m: unknown) => BusKey)(msg);
};
