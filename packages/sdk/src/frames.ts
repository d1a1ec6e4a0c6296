/**
 * Where each server frame goes: channel events and user-stream items to the sync engine (which
 * orders and dedupes them), ephemeral signals (typing, presence, read receipts) and server errors
 * straight to the client's listeners.
 */
import type { ServerFrame } from "@parley/protocol";
import type { ClientEvents } from "./client-events.ts";
import { ParleyError } from "./errors.ts";
import type { SyncEngine } from "./sync.ts";

type Emit = <K extends "typing" | "presence" | "read" | "thread" | "profile" | "emoji" | "error">(name: K, payload: ClientEvents[K]) => void;

/** Hand one frame on. */
export function routeFrame(f: ServerFrame, sync: SyncEngine, emit: Emit): void {
  switch (f.t) {
    case "sync":
      return sync.receiveEvents(f.channelId, f.events);
    case "event":
    case "ack":
      return sync.receiveEvents(f.event.channelId, [f.event]);
    case "sync.user":
      return sync.receiveUserItems(f.items);
    case "user":
      return sync.receiveUserItems([f.item]);
    case "typing":
      return emit("typing", { channelId: f.channelId, userId: f.userId, threadRoot: f.threadRoot });
    case "presence.users":
      // The answer to a watch (full) and later changes alike: one notice per user.
      for (const u of f.users) emit("presence", { userId: u.userId, status: u.status });
      return;
    case "read":
      return emit("read", { channelId: f.channelId, userId: f.userId, seq: f.seq });
    case "thread":
      return emit("thread", { channelId: f.channelId, rootSeq: f.rootSeq, following: f.following, readSeq: f.readSeq });
    case "profile":
      return emit("profile", f.user);
    case "emoji":
      return emit("emoji", { name: f.name, emoji: f.emoji });
    case "error":
      return emit("error", new ParleyError({ code: f.code as ParleyError["code"], message: f.message, details: f.details }));
    default:
      return;
  }
}
