/**
 * Search within the history this device has loaded and decrypted. Runs on
 * the device only: the server holds ciphertext and never sees the query.
 */

/** What search looks at in one message. */
export interface Searchable {
  seq: number;
  text: string;
  deleted: boolean;
  decodeError: string | undefined;
  /** Attachment names. */
  fileNames?: readonly string[];
}

/** Case- and accent-insensitive form of a string for matching. */
function fold(s: string): string {
  return s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

/** Seqs of messages matching every word of `query`, oldest first (deleted and undecryptable ones never match). */
export function searchMessages(messages: readonly Searchable[], query: string): number[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  const out: number[] = [];
  for (const m of messages) {
    if (m.deleted || m.decodeError) continue;
    const hay = fold(`${m.text}\n${(m.fileNames ?? []).join("\n")}`);
    if (words.every((w) => hay.includes(w))) out.push(m.seq);
  }
  return out;
}

/** Step through results: the next (+1) or previous (-1) index, wrapping around. */
export function stepResult(index: number, count: number, dir: 1 | -1): number {
  if (count === 0) return -1;
  return (index + dir + count) % count;
}
