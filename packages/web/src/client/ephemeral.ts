/**
 * Ephemeral state fanned out by the gateway: who is typing where (expires a
 * few seconds after the last notice), presence per user, and the read
 * receipts seen since connecting.
 */
import type { PresenceStatus } from "@parley/protocol";
import type { PresenceNotice, ReadNotice, TypingNotice } from "@parley/sdk";

/** A typing notice stays visible this long without a refresh (clients resend every ~3 s). */
const TYPING_TTL_MS = 6_000;

/** Typing, presence and read receipts. Calls `changed` on every visible change. */
export class EphemeralState {
  readonly #typing = new Map<string, { channelId: string; userId: string; threadRoot: number | null; until: number }>();
  readonly #presence = new Map<string, PresenceStatus>();
  readonly #reads = new Map<string, Map<string, number>>();
  readonly #changed: () => void;
  #sweep: ReturnType<typeof setInterval> | undefined;

  constructor(changed: () => void) {
    this.#changed = changed;
  }

  onTyping(n: TypingNotice, now = Date.now()): void {
    this.#typing.set(`${n.channelId}:${n.userId}`, { ...n, until: now + TYPING_TTL_MS });
    this.#sweep ??= setInterval(() => this.#expire(), 1_000);
    this.#changed();
  }

  onPresence(n: PresenceNotice): void {
    this.#presence.set(n.userId, n.status);
    this.#changed();
  }

  onRead(n: ReadNotice): void {
    let m = this.#reads.get(n.channelId);
    if (!m) this.#reads.set(n.channelId, (m = new Map()));
    if ((m.get(n.userId) ?? 0) >= n.seq) return;
    m.set(n.userId, n.seq);
    this.#changed();
  }

  /** A message from a user ends their typing notice at once. */
  stopTyping(channelId: string, userId: string): void {
    if (this.#typing.delete(`${channelId}:${userId}`)) this.#changed();
  }

  /** Users typing in a channel (threadRoot null) or in one thread. */
  typing(channelId: string, threadRoot: number | null): string[] {
    const out: string[] = [];
    for (const t of this.#typing.values()) if (t.channelId === channelId && (t.threadRoot ?? null) === threadRoot) out.push(t.userId);
    return out;
  }

  presence(userId: string): PresenceStatus {
    return this.#presence.get(userId) ?? "offline";
  }

  /** Users (other than `exceptUserId`) whose read receipt in the channel is at or past `seq`. */
  readers(channelId: string, seq: number, exceptUserId: string): string[] {
    const m = this.#reads.get(channelId);
    if (!m) return [];
    return [...m].filter(([u, s]) => u !== exceptUserId && s >= seq).map(([u]) => u);
  }

  close(): void {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
  }

  #expire(now = Date.now()): void {
    let any = false;
    for (const [k, t] of this.#typing)
      if (t.until <= now) {
        this.#typing.delete(k);
        any = true;
      }
    if (this.#typing.size === 0 && this.#sweep) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
    if (any) this.#changed();
  }
}
