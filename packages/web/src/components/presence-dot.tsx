import { useEffect } from "react";
import { useChat } from "../client/use-chat.ts";

/** Online/away/offline dot with a text alternative; while shown, its user's presence is watched. */
export function PresenceDot(props: { userId: string; self?: boolean }) {
  const chat = useChat();
  const { presenceWatch } = chat;
  useEffect(() => (props.self ? undefined : presenceWatch.add(props.userId)), [presenceWatch, props.userId, props.self]);
  // Our own presence is "online" while the connection is live, whatever the server last fanned out.
  const status = props.self ? (chat.connection.state === "live" ? "online" : "offline") : chat.ephemeral.presence(props.userId);
  return <span className={`presence ${status}`} role="img" aria-label={status} title={status} />;
}
