/** One emoji as shown in text and reactions: a character, or a custom emoji's image for `:shortcode:`. */
import { useChat } from "../client/use-chat.ts";
import { useCustomEmoji } from "./custom-emoji.ts";

/** `:name:` of a custom emoji, or undefined for anything else. */
function shortcodeOf(emoji: string): string | undefined {
  return /^:([a-z0-9_+-]{2,32}):$/.exec(emoji)?.[1];
}

export function EmojiGlyph(props: { emoji: string }) {
  const chat = useChat();
  const set = useCustomEmoji(chat);
  const name = shortcodeOf(props.emoji);
  const custom = name ? set.byName(name) : undefined;
  if (!custom) return <>{props.emoji}</>;
  const url = set.url(custom);
  return url ? (
    <img className="custom-emoji" src={url} alt={props.emoji} title={props.emoji} width={20} height={20} />
  ) : (
    <span className="custom-emoji pending">{props.emoji}</span>
  );
}
