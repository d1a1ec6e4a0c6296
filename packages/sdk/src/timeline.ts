/**
 * A materialised view of one channel: messages with edits, deletions,
 * reactions and thread reply counts applied. Feed it the client's
 * `event` emissions (already exactly-once and in order) or a decoded history
 * page; it never talks to the network.
 */
import type { ReceivedEvent } from "./client-events.ts";

/** One message as a UI shows it. */
export interface TimelineMessage {
  seq: number;
  senderId: string;
  createdAt: number;
  /** Current text (after the latest edit); empty when deleted. */
  text: string;
  /** Thread root seq for replies, else null. */
  threadRoot: number | null;
  mentions: string[];
  edited: boolean;
  deleted: boolean;
  /** Emoji -> ids of the users who reacted (retracted reactions removed). */
  reactions: Map<string, Set<string>>;
  /** Replies in the thread this message roots. */
  replyCount: number;
  /** Set when the content could not be decoded. */
  decodeError: string | undefined;
  /**
   * Set when this message's (or its last edit's) archive copy is missing or says something else
   * (ADR 0007): devices and members that read it later from history may see something else or nothing.
   */
  archiveFault: string | undefined;
}

/** Channel timeline that applies edits, deletes and reactions to messages. */
export class Timeline {
  /** Channel this view belongs to. */
  readonly channelId: string;
  readonly #messages = new Map<number, TimelineMessage>();
  /** Reaction seq -> what it added, so a delete of the reaction can retract it. */
  readonly #reactions = new Map<number, { target: number; emoji: string; userId: string }>();

  constructor(channelId: string) {
    this.channelId = channelId;
  }

  /** Apply one event (events of other channels are ignored). */
  apply(e: ReceivedEvent): void {
    if (e.channelId !== this.channelId) return;
    switch (e.kind) {
      case "message": {
        this.#messages.set(e.seq, {
          seq: e.seq,
          senderId: e.senderId,
          createdAt: e.createdAt,
          text: e.text ?? "",
          threadRoot: e.threadRoot,
          mentions: e.mentions,
          edited: false,
          deleted: false,
          reactions: new Map(),
          replyCount: 0,
          decodeError: e.content.decodeError,
          archiveFault: e.content.archiveFault?.message,
        });
        if (e.threadRoot !== null) {
          const root = this.#messages.get(e.threadRoot);
          if (root) root.replyCount++;
        }
        return;
      }
      case "edit": {
        const m = e.target !== null ? this.#messages.get(e.target) : undefined;
        // Only the author may edit; the server enforces it too, this guards views built from untrusted pages.
        if (m && !m.deleted && m.senderId === e.senderId) {
          m.text = e.text ?? "";
          m.edited = true;
          if (e.content.archiveFault) m.archiveFault = e.content.archiveFault.message;
        }
        return;
      }
      case "reaction": {
        if (e.target === null || !e.emoji) return;
        const m = this.#messages.get(e.target);
        if (!m) return;
        let users = m.reactions.get(e.emoji);
        if (!users) m.reactions.set(e.emoji, (users = new Set()));
        users.add(e.senderId);
        this.#reactions.set(e.seq, { target: e.target, emoji: e.emoji, userId: e.senderId });
        return;
      }
      case "delete": {
        if (e.target === null) return;
        const r = this.#reactions.get(e.target);
        if (r) {
          const users = this.#messages.get(r.target)?.reactions.get(r.emoji);
          users?.delete(r.userId);
          if (users?.size === 0) this.#messages.get(r.target)?.reactions.delete(r.emoji);
          this.#reactions.delete(e.target);
          return;
        }
        const m = this.#messages.get(e.target);
        if (m) {
          m.deleted = true;
          m.text = "";
          m.reactions.clear();
        }
        return;
      }
    }
  }

  /** Apply many events in order. */
  applyAll(events: Iterable<ReceivedEvent>): void {
    for (const e of events) this.apply(e);
  }

  /** Top-level messages (not thread replies), oldest first. */
  messages(): TimelineMessage[] {
    return [...this.#messages.values()].filter((m) => m.threadRoot === null).sort((a, b) => a.seq - b.seq);
  }

  /** Replies of the thread rooted at `rootSeq`, oldest first. */
  thread(rootSeq: number): TimelineMessage[] {
    return [...this.#messages.values()].filter((m) => m.threadRoot === rootSeq).sort((a, b) => a.seq - b.seq);
  }

  /** One message by seq. */
  get(seq: number): TimelineMessage | undefined {
    return this.#messages.get(seq);
  }
}
