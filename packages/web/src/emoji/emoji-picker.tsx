/**
 * The emoji picker, for reactions and the composer: a search box, the user's frequently used
 * emoji (counted on this device and synced through the personal store when it can), the org's
 * custom emoji, then the standard groups. Picking one records the use. Esc closes.
 */
import { useState } from "react";
import { createPortal } from "react-dom";
import { useChat } from "../client/use-chat.ts";
import { usePersonalShelf } from "../personal/shelf.ts";
import { useCustomEmoji } from "./custom-emoji.ts";
import { EMOJI_GROUPS, searchStandard, STANDARD_EMOJI } from "./emoji-data.ts";
import { EmojiGlyph } from "./emoji-glyph.tsx";
import { frequentOf } from "./emoji-usage.ts";
import { pickerPlacement } from "./placement.ts";

/** One button of the picker: what it inserts and what it is called. */
interface Choice {
  emoji: string;
  name: string;
}

const NAMES = new Map(STANDARD_EMOJI.map((e) => [e.char, e.words[0]!]));

export function EmojiPicker(props: { label: string; onPick: (emoji: string) => void; onClose: () => void; anchor?: HTMLElement | null }) {
  const chat = useChat();
  const shelf = usePersonalShelf(chat);
  const custom = useCustomEmoji(chat);
  const [query, setQuery] = useState("");
  const q = query.trim().toLowerCase().replace(/^:|:$/g, "");

  const customChoices: Choice[] = custom
    .list()
    .filter((e) => !q || e.name.includes(q))
    .map((e) => ({ emoji: `:${e.name}:`, name: e.name }));
  const sections: Array<{ name: string; choices: Choice[] }> = [];
  if (!q) {
    const frequent = frequentOf(shelf.usage(), Date.now()).filter((e) => NAMES.has(e) || custom.byName(e.slice(1, -1)));
    if (frequent.length) sections.push({ name: "Frequently used", choices: frequent.map((e) => ({ emoji: e, name: NAMES.get(e) ?? e.slice(1, -1) })) });
  }
  if (customChoices.length) sections.push({ name: "Custom", choices: customChoices });
  if (q) {
    sections.push({ name: "Results", choices: searchStandard(q).map((e) => ({ emoji: e.char, name: e.words[0]! })) });
  } else {
    for (const g of EMOJI_GROUPS) sections.push({ name: g.name, choices: g.emoji.map((e) => ({ emoji: e.char, name: e.words[0]! })) });
  }

  const pick = (emoji: string) => {
    shelf.recordEmoji(emoji);
    props.onPick(emoji);
  };

  const picker = (
    <div
      className="emoji-picker"
      style={props.anchor ? pickerPlacement(props.anchor.getBoundingClientRect(), { width: innerWidth, height: innerHeight }) : undefined}
      role="dialog"
      aria-label={props.label}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          props.onClose();
        }
      }}
    >
      <input type="search" aria-label="Search emoji" placeholder="Search emoji" value={query} autoFocus onChange={(e) => setQuery(e.target.value)} />
      <div className="emoji-sections">
        {sections.map((s) => (
          <section key={s.name} aria-label={s.name}>
            <h4>{s.name}</h4>
            <div className="emoji-grid">
              {s.choices.map((c) => (
                <button key={c.emoji} type="button" aria-label={`:${c.name}:`} title={`:${c.name}:`} onClick={() => pick(c.emoji)}>
                  <EmojiGlyph emoji={c.emoji} />
                </button>
              ))}
            </div>
          </section>
        ))}
        {sections.every((s) => s.choices.length === 0) ? <p className="muted">No emoji match “{query}”.</p> : null}
      </div>
    </div>
  );
  // Anchored to a button: in the body, so a transformed or scrolling message list cannot move or clip it.
  return props.anchor ? createPortal(picker, props.anchor.closest("dialog") ?? document.body) : picker;
}
