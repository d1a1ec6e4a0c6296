/**
 * Notification keywords (issue 13), matched on the device against decrypted text: a message
 * containing one of the user's keywords notifies like a mention. Matching ignores case and
 * accents ("zoe" finds "Zoë", "ZOE") and respects word boundaries ("deploy" finds "deploy!"
 * and "#deploy" but not "redeploy" or "deployment"); a keyword of several words matches them
 * in sequence. The list is kept sealed to the user's key locker (crypto sealed-keywords.ts).
 */

/** Most keywords and longest keyword (crypto's KEYWORD_LIMITS). */
const MAX_KEYWORDS = 50;
const MAX_LENGTH = 64;

/** Lowercased, accents removed, white space runs as one space. */
function fold(s: string): string {
  return s
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/\s+/g, " ");
}

const WORD = /[\p{L}\p{N}_]/u;

/** The keywords typed in a settings field (comma- or line-separated): trimmed, without duplicates (by their folded form), within the limits. */
export function parseKeywords(input: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of input.split(/[,\n]/)) {
    const k = raw.trim().replace(/\s+/g, " ").slice(0, MAX_LENGTH);
    const key = fold(k);
    if (!key || seen.has(key)) continue;
    seen.add(key);
    out.push(k);
    if (out.length === MAX_KEYWORDS) break;
  }
  return out;
}

/** The first keyword `text` contains as a whole word (or words), or undefined. */
export function matchKeyword(text: string, keywords: readonly string[]): string | undefined {
  if (!keywords.length || !text) return undefined;
  const hay = fold(text);
  for (const k of keywords) {
    const needle = fold(k.trim());
    if (!needle) continue;
    for (let at = hay.indexOf(needle); at !== -1; at = hay.indexOf(needle, at + 1)) {
      const before = at > 0 ? hay[at - 1]! : " ";
      const after = at + needle.length < hay.length ? hay[at + needle.length]! : " ";
      // A boundary only matters where the keyword itself starts or ends with a word character.
      const startOk = !WORD.test(needle[0]!) || !WORD.test(before);
      const endOk = !WORD.test(needle[needle.length - 1]!) || !WORD.test(after);
      if (startOk && endOk) return k;
    }
  }
  return undefined;
}
