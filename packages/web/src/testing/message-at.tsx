/** Component tests of messages: what the message list does, looking the message up in the store on every render. */
import { useChat } from "../client/use-chat.ts";
import { MessageItem } from "../components/channel/message-item.tsx";

export function MessageAt(props: { seq: number; channelId?: string }) {
  const chat = useChat();
  const channelId = props.channelId ?? "ch-1";
  const m = chat.history(channelId).get(props.seq);
  return m ? <MessageItem channelId={channelId} m={m} showHeader /> : null;
}
