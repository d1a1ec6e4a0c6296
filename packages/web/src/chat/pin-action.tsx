/** The message menu's pin / unpin button (members who may post; the server checks again and its refusal shows beside it). */
import { useChat } from "../client/use-chat.ts";
import { Icon } from "../components/icon.tsx";
import { MenuToggle } from "../components/menu-toggle.tsx";
import { usePinBoard } from "./pins.ts";

export function PinAction(props: { channelId: string; seq: number }) {
  const chat = useChat();
  const board = usePinBoard(chat);
  return (
    <MenuToggle
      on={board.isPinned(props.channelId, props.seq)}
      labels={["Pin message", "Unpin message"]}
      titles={["Pin to this channel", "Unpin"]}
      icon={<Icon name="pin" />}
      toggle={(next) => board.setPinned(props.channelId, props.seq, next)}
    />
  );
}
