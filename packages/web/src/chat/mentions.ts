/**
 * @mentions in message text. The server cannot read the text, so the sender
 * lists the mentioned user ids explicitly; this finds them.
 */

/** Matches an @username token (the Username rules of the protocol). */
const MENTION_RE = /(^|[^A-Za-z0-9_])@([a-z0-9][a-z0-9._-]*[a-z0-9_]|[a-z0-9])/g;

/** Ids of the users whose @username appears in `text`. */
export function mentionedUserIds(text: string, users: ReadonlyArray<{ id: string; username: string; deactivated?: boolean }>): string[] {
  const byName = new Map(users.filter((u) => !u.deactivated).map((u) => [u.username, u.id]));
  const ids = new Set<string>();
  for (const m of text.matchAll(MENTION_RE)) {
    const id = byName.get(m[2]!);
    if (id) ids.add(id);
  }
  return [...ids];
}

/** The @prefix being typed at the caret (for autocomplete), or undefined. */
export function mentionQueryAt(text: string, caret: number): { start: number; query: string } | undefined {
  const before = text.slice(0, caret);
  const m = /(^|\s)@([a-z0-9._-]*)$/.exec(before);
  if (!m) return undefined;
  return { start: caret - m[2]!.length - 1, query: m[2]! };
}
