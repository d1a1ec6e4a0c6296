// Receiver anti-replay per KID (RFC 9605 §7.5 leaves it to the application and points at
// SRTP's window, RFC 3711 §3.3.2): the highest CTR seen and a bitmap of the WINDOW counters
// below it. Frames may arrive out of order within the window; anything older, or seen
// before, is refused. The window moves only after a frame authenticated.

/** How far behind the newest counter a frame may arrive and still be accepted. */
export const REPLAY_WINDOW = 128n;

/** The replay state of one KID. */
export class ReplayWindow {
  #top = -1n;
  #seen = 0n;

  /** Whether `ctr` would be accepted (not seen, not too old). */
  check(ctr: bigint): boolean {
    if (ctr > this.#top) return true;
    const age = this.#top - ctr;
    if (age >= REPLAY_WINDOW) return false;
    return ((this.#seen >> age) & 1n) === 0n;
  }

  /** Record an authenticated `ctr` (call only after `check` and a successful decryption). */
  accept(ctr: bigint): void {
    if (ctr > this.#top) {
      const shift = this.#top < 0n ? REPLAY_WINDOW : ctr - this.#top;
      this.#seen = shift >= REPLAY_WINDOW ? 1n : ((this.#seen << shift) | 1n) & ((1n << REPLAY_WINDOW) - 1n);
      this.#top = ctr;
    } else {
      this.#seen |= 1n << (this.#top - ctr);
    }
  }
}
