/** The channel's slash commands for the composer's autocomplete (issue 13; slash-commands.ts matches them). */
import { useEffect, useState } from "react";
import type { ChannelCommand } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";

/** The channel's commands, fetched when `wanted` turns true (the user typed `/`) so a bot added since shows up. */
export function useChannelCommands(channelId: string, wanted: boolean): ChannelCommand[] {
  const chat = useChat();
  const [state, setState] = useState<{ channelId: string; commands: ChannelCommand[] }>();
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    chat.client.api.call("listChannelCommands", { params: { channelId } }).then(
      (r) => live && setState({ channelId, commands: r.commands }),
      () => undefined, // no list: the composer sends the text as typed
    );
    return () => {
      live = false;
    };
  }, [chat, channelId, wanted]);
  return state?.channelId === channelId ? state.commands : [];
}
