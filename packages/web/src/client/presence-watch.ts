/**
 * Which users' presence the page shows (API 12: the server sends presence only
 * for watched users). Every presence dot on screen adds its user while mounted;
 * the set is sent (debounced) to the client's watchPresence.
 */

/** Dots mounting and unmounting together (a channel switch) cost one watch frame. */
const DEBOUNCE_MS = 150;

export class PresenceWatch {
  readonly #counts = new Map<string, number>();
  readonly #send: (userIds: string[]) => void;
  readonly #delayMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(send: (userIds: string[]) => void, delayMs = DEBOUNCE_MS) {
    this.#send = send;
    this.#delayMs = delayMs;
  }

  /** Watch `userId` until the returned function is called (counted: several dots may show one user). */
  add(userId: string): () => void {
    const n = this.#counts.get(userId) ?? 0;
    this.#counts.set(userId, n + 1);
    if (n === 0) this.#schedule();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.#counts.get(userId) ?? 1) - 1;
      if (left > 0) {
        this.#counts.set(userId, left);
        return;
      }
      this.#counts.delete(userId);
      this.#schedule();
    };
  }

  /** The users watched now. */
  userIds(): string[] {
    return [...this.#counts.keys()];
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#send(this.userIds());
    }, this.#delayMs);
  }
}
