/**
 * Search within the history this device has loaded and decrypted. Runs on
 * the device only: the server holds ciphertext and never sees the query.
 * Words are folded as the device's index folds them (the SDK's foldSearchText).
 */
import { foldSearchText } from "@parley/sdk";

/** What search looks at in one message. */
export interface Searchable {
  seq: number;
  text: string;
  deleted: boolean;
  decodeError: string | undefined;
  /** Attachment names. */
  fileNames?: readonly string[];
}

/** Seqs of messages matching every word of `query`, oldest first (deleted and undecryptable ones never match). */
export function searchMessages(messages: readonly Searchable[], query: string): number[] {
  const words = foldSearchText(query).split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  const out: number[] = [];
  for (const m of messages) {
    if (m.deleted || m.decodeError) continue;
    const hay = foldSearchText(`${m.text}\n${(m.fileNames ?? []).join("\n")}`);
    if (words.every((w) => hay.includes(w))) out.push(m.seq);
  }
  return out;
}

/** Step through results: the next (+1) or previous (-1) index, wrapping around. */
export function stepResult(index: number, count: number, dir: 1 | -1): number {
  if (count === 0) return -1;
  return (index + dir + count) % count;
}

/** A piece of a result's text, and whether it is a word the search matched. */
export interface TextPart {
  text: string;
  match: boolean;
}

/**
 * Split `text` into words and the rest, marking the words that start with one of `words` (folded,
 * as the index matches: whole words, and a prefix of the last one). The parts join back to `text`.
 */
export function highlightParts(text: string, words: readonly string[]): TextPart[] {
  if (!words.length) return [{ text, match: false }];
  const out: TextPart[] = [];
  for (const piece of text.split(/([\p{L}\p{N}_]+)/u)) {
    if (!piece) continue;
    const f = foldSearchText(piece);
    const match = /[\p{L}\p{N}_]/u.test(piece) && words.some((w) => f.startsWith(w));
    const last = out[out.length - 1];
    if (last && last.match === match) last.text += piece;
    else out.push({ text: piece, match });
  }
  return out;
}
