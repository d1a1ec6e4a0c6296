/**
 * Realtime kind of custom org emoji: an admin added or removed one; every socket of the org gets
 * an `emoji` frame, so open pickers and messages show or drop it without a reload.
 */
import type { CustomEmoji } from "@parley/protocol";
import { realtimeRoute } from "../../core/realtime.ts";

declare module "../../platform/bus/bus.ts" {
  interface BusTopics {
    /** A custom emoji of the org was uploaded (`emoji`) or deleted (`emoji` null). */
    "org.emoji": { orgId: string; name: string; emoji: CustomEmoji | null };
  }
}

export const emojiRoutes = [
  realtimeRoute({
    topic: "org.emoji",
    // A hint like `profile`: clients that missed it list the emoji again when they reconnect.
    kind: "ephemeral",
    audience: (m) => ({ orgId: m.orgId }),
    frame: (m) => JSON.stringify({ t: "emoji", name: m.name, emoji: m.emoji }),
  }),
];
