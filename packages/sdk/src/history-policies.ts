/**
 * The history policy (ADR 0007) of each channel a client has seen: from channel listings,
 * creations and joins, and `channel.joined` / `channel.updated` items of the user stream. Sends
 * carry an archive copy only where the policy is `shared` or `joined`; a channel not seen yet
 * is looked up first ({@link policy}, once per channel until it is known).
 */
import type { Channel, HistoryPolicy, UserStreamItem } from "@parley/protocol";

export class HistoryPolicies {
  readonly #byChannel = new Map<string, HistoryPolicy>();
  readonly #public = new Set<string>();
  readonly #lookups = new Map<string, Promise<void>>();
  readonly #fetch: ((channelId: string) => Promise<Pick<Channel, "id" | "history" | "kind">>) | undefined;

  /** `fetch` looks a channel up when a receiver needs a policy not seen yet. */
  constructor(fetch?: (channelId: string) => Promise<Pick<Channel, "id" | "history" | "kind">>) {
    this.#fetch = fetch;
  }

  /** Remember the policies of these channels. */
  note(channels: ReadonlyArray<Pick<Channel, "id" | "history"> & { kind?: Channel["kind"] }>): void {
    for (const c of channels) {
      if (c.history) this.#byChannel.set(c.id, c.history);
      if (c.kind === "public") this.#public.add(c.id);
      else if (c.kind) this.#public.delete(c.id);
    }
  }

  /** Whether the channel is public, as last seen (after {@link policy}, it has been seen). */
  isPublic(channelId: string): boolean {
    return this.#public.has(channelId);
  }

  /** Remember the policy a `channel.joined` or `channel.updated` item carries. */
  noteItem(item: UserStreamItem): void {
    if ((item.kind !== "channel.joined" && item.kind !== "channel.updated") || !item.channelId) return;
    const channel = (item.data as { channel?: Channel } | undefined)?.channel;
    if (channel?.id === item.channelId) this.note([channel]);
  }

  /** Whether sends in the channel carry an archive copy. */
  keepsArchive(channelId: string): boolean {
    const policy = this.#byChannel.get(channelId);
    return policy === "shared" || policy === "joined";
  }

  /** The channel's policy: looked up once if not known (a failed look-up: undefined, asked again next time). */
  async policy(channelId: string): Promise<HistoryPolicy | undefined> {
    if (!this.#byChannel.has(channelId) && this.#fetch) {
      let p = this.#lookups.get(channelId);
      if (!p) {
        p = this.#fetch(channelId)
          .then((c) => this.note([c]))
          .catch(() => undefined)
          .finally(() => this.#lookups.delete(channelId));
        this.#lookups.set(channelId, p);
      }
      await p;
    }
    return this.#byChannel.get(channelId);
  }

  /** Whether sends in the channel carry an archive copy, looking its policy up if not known. */
  async expectsArchive(channelId: string): Promise<boolean> {
    const policy = await this.policy(channelId);
    return policy === "shared" || policy === "joined";
  }
}
