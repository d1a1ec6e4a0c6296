/**
 * The history policy (ADR 0007) of each channel a client has seen: from channel listings,
 * creations and joins, and `channel.joined` / `channel.updated` items of the user stream. Sends
 * carry an archive copy only where the policy is `shared` or `joined`; a channel not seen yet
 * is looked up first ({@link policy}, once per channel until it is known). It also keeps each
 * channel's kind, labels and whether the user is a member, which the compliance archive reads
 * ({@link facts}; ADR 0008), and tells an observer when they change.
 */
import type { Channel, HistoryPolicy, UserStreamItem } from "@parley/protocol";

/** What the compliance archive's scope names of a channel (ADR 0008). */
export interface ChannelFacts {
  id: string;
  kind: Channel["kind"];
  labels: string[];
  /** The user is a member (false: a public channel looked at from outside). */
  member: boolean;
}

type Noted = Pick<Channel, "id" | "history"> & { kind?: Channel["kind"]; labels?: string[]; myRole?: unknown };
type Fetched = Pick<Channel, "id" | "history" | "kind"> & { labels?: string[]; myRole?: unknown };

export class HistoryPolicies {
  readonly #byChannel = new Map<string, HistoryPolicy>();
  readonly #public = new Set<string>();
  readonly #lookups = new Map<string, Promise<void>>();
  readonly #facts = new Map<string, ChannelFacts>();
  readonly #fetch: ((channelId: string) => Promise<Fetched>) | undefined;
  /** Told of channels whose kind, labels or membership were first seen or changed. */
  onFactsChanged: ((channels: ChannelFacts[]) => void) | undefined;

  /** `fetch` looks a channel up when a receiver needs a policy not seen yet. */
  constructor(fetch?: (channelId: string) => Promise<Fetched>) {
    this.#fetch = fetch;
  }

  /**
   * Remember the policies of these channels (and their kinds and labels, when given; a channel
   * with `myRole` null is one the user is not a member of, any other listed channel is theirs).
   */
  note(channels: ReadonlyArray<Noted>): void {
    const changed: ChannelFacts[] = [];
    for (const c of channels) {
      if (c.history) this.#byChannel.set(c.id, c.history);
      if (c.kind === "public") this.#public.add(c.id);
      else if (c.kind) this.#public.delete(c.id);
      if (c.kind && c.labels) {
        const facts: ChannelFacts = { id: c.id, kind: c.kind, labels: [...c.labels].sort(), member: c.myRole !== null };
        const before = this.#facts.get(c.id);
        this.#facts.set(c.id, facts);
        if (!before || JSON.stringify(before) !== JSON.stringify(facts)) changed.push(facts);
      }
    }
    if (changed.length) this.onFactsChanged?.(changed);
  }

  // The user left the channel (or was removed).
  #left(channelId: string): void {
    const facts = this.#facts.get(channelId);
    if (!facts?.member) return;
    const now = { ...facts, member: false };
    this.#facts.set(channelId, now);
    this.onFactsChanged?.([now]);
  }

  /** A channel's kind, labels and membership: looked up when not known, or when `fresh` (a failed look-up: undefined). */
  async facts(channelId: string, fresh = false): Promise<ChannelFacts | undefined> {
    if (fresh && this.#fetch) {
      const c = await this.#fetch(channelId).catch(() => undefined);
      if (c) this.note([c]);
    } else if (!this.#facts.has(channelId)) await this.#lookup(channelId);
    return this.#facts.get(channelId);
  }

  /** Every channel whose facts are known. */
  allFacts(): ChannelFacts[] {
    return [...this.#facts.values()];
  }

  /** Whether the channel is public, as last seen (after {@link policy}, it has been seen). */
  isPublic(channelId: string): boolean {
    return this.#public.has(channelId);
  }

  /** Remember the policy a `channel.joined` or `channel.updated` item carries. */
  noteItem(item: UserStreamItem): void {
    if ((item.kind === "channel.left" || item.kind === "channel.deleted") && item.channelId) return this.#left(item.channelId);
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
    if (!this.#byChannel.has(channelId)) await this.#lookup(channelId);
    return this.#byChannel.get(channelId);
  }

  #lookup(channelId: string): Promise<void> {
    if (!this.#fetch) return Promise.resolve();
    let p = this.#lookups.get(channelId);
    if (!p) {
      p = this.#fetch(channelId)
        .then((c) => this.note([c]))
        .catch(() => undefined)
        .finally(() => this.#lookups.delete(channelId));
      this.#lookups.set(channelId, p);
    }
    return p;
  }

  /** Whether sends in the channel carry an archive copy, looking its policy up if not known. */
  async expectsArchive(channelId: string): Promise<boolean> {
    const policy = await this.policy(channelId);
    return policy === "shared" || policy === "joined";
  }
}
