import { useChat } from "../../client/use-chat.ts";

/** "Alice is typing…" for a channel or a thread, plus who has seen the latest message. */
export function TypingLine(props: { channelId: string; threadRoot: number | null; lastSeq?: number }) {
  const chat = useChat();
  const names = chat.ephemeral.typing(props.channelId, props.threadRoot).map((u) => chat.userName(u));
  const typing =
    names.length === 0
      ? ""
      : names.length === 1
        ? `${names[0]} is typing…`
        : names.length === 2
          ? `${names[0]} and ${names[1]} are typing…`
          : "Several people are typing…";
  const seen = props.lastSeq ? chat.ephemeral.readers(props.channelId, props.lastSeq, chat.me.id).map((u) => chat.userName(u)) : [];
  return (
    <div className="typing-line">
      <span aria-live="polite">{typing}</span>
      {seen.length ? (
        <span className="seen" aria-label={`Seen by ${seen.join(", ")}`}>
          Seen by {seen.join(", ")}
        </span>
      ) : null}
    </div>
  );
}
