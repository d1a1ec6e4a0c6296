/** The message menu's reaction picker: quick reactions, then "More emoji" for the full picker (frequent, custom, all). */
import { useRef, useState } from "react";
import { EmojiPicker } from "./emoji-picker.tsx";

const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "👀", "✅"];

export function ReactionMenu(props: { onPick: (emoji: string) => void; onClose: () => void }) {
  const [more, setMore] = useState(false);
  const moreButton = useRef<HTMLButtonElement>(null);
  return (
    <div className="picker" role="menu" aria-label="Pick a reaction">
      {QUICK_REACTIONS.map((e) => (
        <button key={e} type="button" role="menuitem" aria-label={`React with ${e}`} onClick={() => props.onPick(e)}>
          {e}
        </button>
      ))}
      <button ref={moreButton} type="button" role="menuitem" aria-label="More emoji" aria-expanded={more} onClick={() => setMore(!more)}>
        …
      </button>
      {more ? <EmojiPicker label="Pick any reaction" anchor={moreButton.current} onPick={props.onPick} onClose={props.onClose} /> : null}
    </div>
  );
}
