/** The suite, epoch and generation of a channel's MLS group, fetched when the channel (or its epoch) changes. */
import { useEffect, useState } from "react";
import type { E2eeSuite } from "@parley/protocol";
import type { ChatStore } from "../client/chat-store.ts";
import { channelGroup } from "../client/extras.ts";

const cache = new Map<string, { suite: E2eeSuite | null; epoch: number; generation: number }>();

export function useChannelGroup(
  chat: ChatStore,
  channelId: string,
  epochHint: number,
  refresh = 0,
): { suite: E2eeSuite | null; epoch: number; generation: number } | undefined {
  const [g, setG] = useState(() => cache.get(channelId));
  useEffect(() => {
    let live = true;
    channelGroup(chat, channelId).then(
      (r) => {
        cache.set(channelId, r);
        if (live) setG(r);
      },
      () => {
        /* shown as unknown; the next change retries */
      },
    );
    return () => {
      live = false;
    };
  }, [chat, channelId, epochHint, refresh]);
  return g;
}
