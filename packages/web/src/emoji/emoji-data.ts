/**
 * The standard emoji the picker offers, grouped, each with the words a search matches. A
 * curated set (the ones teams use), not the whole Unicode list: typing any emoji from the
 * system keyboard still works everywhere.
 */

/** One standard emoji: the character and its search words (the first is its name). */
export interface StandardEmoji {
  char: string;
  words: string[];
}

type Group = { name: string; emoji: StandardEmoji[] };

const e = (char: string, words: string): StandardEmoji => ({ char, words: words.split(" ") });

/** The picker's groups of standard emoji. */
export const EMOJI_GROUPS: Group[] = [
  {
    name: "Smileys",
    emoji: [
      e("😀", "grinning smile happy"),
      e("😃", "smiley happy joy"),
      e("😄", "smile happy joy laugh"),
      e("😁", "grin teeth"),
      e("😆", "laughing satisfied"),
      e("😅", "sweat_smile relief"),
      e("😂", "joy tears laugh lol"),
      e("🙂", "slightly_smiling"),
      e("😉", "wink"),
      e("😊", "blush happy"),
      e("😍", "heart_eyes love"),
      e("😘", "kiss"),
      e("😎", "sunglasses cool"),
      e("🤔", "thinking hmm"),
      e("🤨", "raised_eyebrow skeptic"),
      e("😐", "neutral_face meh"),
      e("🙄", "eye_roll"),
      e("😬", "grimacing awkward"),
      e("😴", "sleeping tired"),
      e("🤯", "exploding_head mind_blown"),
      e("🥳", "partying_face celebrate"),
      e("😢", "cry sad tear"),
      e("😭", "sob crying"),
      e("😱", "scream fear"),
      e("😡", "rage angry"),
      e("🤝", "handshake deal"),
      e("🙏", "pray thanks please"),
    ],
  },
  {
    name: "Gestures",
    emoji: [
      e("👍", "thumbsup +1 yes ok"),
      e("👎", "thumbsdown -1 no"),
      e("👌", "ok_hand perfect"),
      e("👏", "clap applause"),
      e("🙌", "raised_hands hooray"),
      e("👋", "wave hello bye"),
      e("✌️", "victory peace"),
      e("🤞", "crossed_fingers luck"),
      e("💪", "muscle strong"),
      e("👀", "eyes look watching"),
      e("🫡", "salute"),
      e("🤷", "shrug"),
    ],
  },
  {
    name: "Symbols",
    emoji: [
      e("❤️", "heart love red"),
      e("💔", "broken_heart"),
      e("🔥", "fire lit hot"),
      e("✨", "sparkles"),
      e("⭐", "star"),
      e("🎉", "tada party celebrate"),
      e("🎊", "confetti"),
      e("✅", "white_check_mark done yes"),
      e("☑️", "ballot_box_with_check"),
      e("❌", "x no cross"),
      e("⚠️", "warning caution"),
      e("❓", "question"),
      e("❗", "exclamation"),
      e("💯", "100 hundred perfect"),
      e("🚀", "rocket ship launch"),
      e("💡", "bulb idea"),
      e("📌", "pushpin pin"),
      e("🔒", "lock secure"),
      e("🐛", "bug"),
      e("🚧", "construction wip"),
      e("⏰", "alarm_clock time"),
      e("📅", "calendar date"),
      e("📎", "paperclip attachment"),
      e("💬", "speech_balloon comment"),
    ],
  },
  {
    name: "Nature and food",
    emoji: [
      e("☀️", "sunny sun"),
      e("🌧️", "rain"),
      e("🌈", "rainbow"),
      e("🌱", "seedling grow"),
      e("🐶", "dog puppy"),
      e("🐱", "cat kitten"),
      e("🦄", "unicorn"),
      e("🐢", "turtle slow"),
      e("☕", "coffee"),
      e("🍕", "pizza"),
      e("🍰", "cake"),
      e("🍺", "beer"),
    ],
  },
];

/** Every standard emoji of the picker. */
export const STANDARD_EMOJI: StandardEmoji[] = EMOJI_GROUPS.flatMap((g) => g.emoji);

/** Standard emoji whose words start with `query` (lower case), in group order. */
export function searchStandard(query: string): StandardEmoji[] {
  const q = query.trim().toLowerCase().replace(/^:|:$/g, "");
  if (!q) return STANDARD_EMOJI;
  return STANDARD_EMOJI.filter((x) => x.words.some((w) => w.startsWith(q)));
}
