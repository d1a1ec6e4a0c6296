/**
 * One device's processing of a channel's timeline: events in seq order through
 * the channel's MLS group, each outcome shown, sealed in the history and saved;
 * a channel that cannot go on waits (for a Welcome, a commit, the directory)
 * and is retried, rejoined, or — when its group is broken — reset.
 */
import { isE2eeError } from "@parley/crypto";
import type { Event } from "@parley/protocol";
import type { DecodedContent } from "../codec.ts";
import { backoffDelay } from "../backoff.ts";
import type { ChannelCrypto } from "./channel-state.ts";
import type { ContentCache } from "./content-cache.ts";
import type { E2eeHost } from "./engine-types.ts";
import { commitProposals, ensureGroup, joinByExternalCommit, requestReset, type GroupContext } from "./group-ops.ts";
import type { DecryptedHistory } from "./history.ts";
import type { SaveSchedule } from "./persist.ts";
import type { SelfUpdates } from "./self-update.ts";
import type { Step } from "./step.ts";
import { processEvent } from "./timeline.ts";
import type { ArchiveReader } from "./archive.ts";
import { acceptSharedKeys } from "./share-keys.ts";

export function undecryptableContent(step: { reason: string; message: string }): DecodedContent {
  return { decodeError: `${step.reason}: ${step.message}`, decodeReason: step.reason };
}

// The epochs (of the channel's current generation) with a commit in its queue, kept up to date by
// looking only at what was queued since the last look (the queue only grows at its tail; a commit
// shifted off its head has been applied, and its epoch is in the past then).
const commitScan = new WeakMap<ChannelCrypto, { upTo: number; generation: number; epochs: Set<number> }>();

function queuedCommitEpochs(ch: ChannelCrypto): Set<number> {
  let scan = commitScan.get(ch);
  if (!scan || scan.generation !== ch.generation) commitScan.set(ch, (scan = { upTo: 0, generation: ch.generation, epochs: new Set() }));
  let upTo = scan.upTo;
  for (let i = ch.queue.length - 1; i >= 0 && ch.queue[i]!.seq > scan.upTo; i--) {
    const q = ch.queue[i]!;
    upTo = Math.max(upTo, q.seq);
    if (q.kind === "commit" && (q.generation ?? 0) === ch.generation) scan.epochs.add(q.epoch);
  }
  scan.upTo = upTo;
  return scan.epochs;
}

export class TimelinePipeline {
  readonly #ctx: GroupContext;
  readonly #host: E2eeHost;
  readonly #history: DecryptedHistory;
  readonly #shown: ContentCache;
  readonly #saves: SaveSchedule;
  readonly #selfUpdates: SelfUpdates;
  readonly #archive: ArchiveReader;
  readonly #shareKeys: (ch: ChannelCrypto, how: "joined") => void;

  constructor(
    ctx: GroupContext,
    host: E2eeHost,
    parts: {
      history: DecryptedHistory;
      shown: ContentCache;
      saves: SaveSchedule;
      selfUpdates: SelfUpdates;
      archive: ArchiveReader;
      /** Hand the channel's past history keys to the users a commit just brought in (share-keys.ts). */
      shareKeys: (ch: ChannelCrypto, how: "joined") => void;
    },
  ) {
    this.#ctx = ctx;
    this.#host = host;
    this.#history = parts.history;
    this.#shown = parts.shown;
    this.#saves = parts.saves;
    this.#selfUpdates = parts.selfUpdates;
    this.#archive = parts.archive;
    this.#shareKeys = parts.shareKeys;
  }

  /** Process the channel's queued events, in order (one run at a time; a call while one runs makes it go again). */
  pump(ch: ChannelCrypto): void {
    if (ch.pumping) {
      ch.rerun = true;
      return;
    }
    ch.pumping = (async () => {
      do {
        ch.rerun = false;
        await this.#drain(ch).catch((err: unknown) => {
          // A local failure (the key store, the history store): the event stays at the head of the queue.
          this.#host.onError(err);
          this.#retryLater(ch);
        });
      } while (ch.rerun && !this.#ctx.closed());
      this.#flushHistory(ch);
    })().finally(() => {
      ch.pumping = undefined;
    });
  }

  async #drain(ch: ChannelCrypto): Promise<void> {
    const ks = this.#ctx.keyStore;
    while (ch.queue.length > 0 && !this.#ctx.closed()) {
      const e = ch.queue[0]!;
      const step = await ch.exclusive(async () => {
        // A retry after a failed write reuses the outcome (processing spent the message key); it was shown already.
        const again = ch.head?.seq === e.seq;
        const s = again ? ch.head!.step : await this.#process(ch, e);
        if (s.t === "wait" || s.t === "retry") return s;
        if (!again) {
          ch.head = { seq: e.seq, step: s };
          // Shown, then sealed: whatever the history holds was shown, so after a crash what is found
          // there is not shown again (#process). A crash in between shows it twice, never zero times.
          this.#emit(ch, e, s);
        }
        // The message key is gone once the group state is saved: keep the plaintext first.
        if (s.t === "content") await this.#history.put(e, s.content);
        else if (s.t === "undecryptable") await this.#history.put(e, undecryptableContent(s));
        ch.processedSeq = e.seq;
        if ((s.t === "content" || s.t === "keys") && e.senderDeviceId === this.#ctx.identity.deviceId) ch.echoedSends.push(e.clientId);
        if (s.t === "handshake" && s.removedSelf) await ch.drop(ks);
        else if (s.t === "reset") await ch.resetTo(s.info.generation, ks);
        else if (s.t === "joined") {
          ch.adopt(s.group, s.epoch, this.#ctx.now());
          ch.pendingJoin = undefined;
          await ch.save(ks);
        }
        // Handshakes change the epoch or membership (and are rare): saved at once. Messages per batch.
        else if (s.t === "handshake") await ch.save(ks);
        else await this.#saves.changed(ch);
        return s;
      });
      if (step.t === "wait") {
        this.#blocked(ch, e.seq);
        return;
      }
      if (step.t === "retry") {
        this.#retryLater(ch);
        return;
      }
      ch.retryAttempt = 0;
      ch.head = undefined;
      ch.queue.shift();
    }
  }

  /**
   * Process one event. After a crash, events after the last saved position come again
   * and are processed from the older state; those already sealed in the history were
   * shown before (#drain shows an event before sealing it): processing them again only
   * advances the group (it consumes their keys as the lost state had), and they are not
   * reported a second time.
   */
  async #process(ch: ChannelCrypto, e: Event): Promise<Step> {
    const kind: string = e.kind;
    const known = kind !== "commit" && kind !== "proposal" && (await this.#history.has(e));
    const own = e.senderDeviceId === this.#ctx.identity.deviceId;
    if (known && own) {
      ch.echoedSends.push(e.clientId); // its plaintext copy may still be kept: forgotten at the next save
      return { t: "skip" }; // own messages never touch the group state
    }
    const s = await processEvent(
      {
        deviceId: this.#ctx.identity.deviceId,
        takeSent: (id) => this.#shown.takeSent(ch.id, id),
        archive: this.#archive,
        epochEnds: (epochNo) => queuedCommitEpochs(ch).has(epochNo),
      },
      ch,
      e,
    );
    // Past history keys for new members: kept in the key store, never shown or sealed in the history.
    if (s.t === "content" && kind === "keys") return { t: "keys", added: await acceptSharedKeys(this.#ctx.keyStore, e, s.content) };
    return known && s.t !== "wait" && s.t !== "retry" ? { t: "skip" } : s;
  }

  #emit(ch: ChannelCrypto, e: Event, step: Step): void {
    if (step.t === "history") {
      ch.historyUntil = e.seq;
      return;
    }
    if (step.t === "reset") {
      this.#flushHistory(ch);
      this.#host.deliver(e, { reset: step.info });
      // Every member's device races to create the new group (the first init wins, the others get its
      // Welcome); a moment of jitter spreads the race.
      const t = setTimeout(
        () => {
          if (!this.#ctx.closed() && !ch.group) this.rejoin(ch);
        },
        Math.floor(Math.random() * 300),
      );
      t.unref?.();
      return;
    }
    this.#flushHistory(ch);
    if (step.t === "content") {
      this.#shown.remember(e, step.content);
      this.#host.deliver(e, step.content);
      if (e.senderDeviceId !== this.#ctx.identity.deviceId) this.#selfUpdates.counted(ch);
    } else if (step.t === "undecryptable") {
      const content = undecryptableContent(step);
      this.#shown.remember(e, content);
      this.#host.deliver(e, content);
      this.#host.undecryptable({
        channelId: e.channelId,
        seq: e.seq,
        senderId: e.senderId,
        senderDeviceId: e.senderDeviceId,
        reason: step.reason,
        message: step.message,
      });
    } else if (step.t === "handshake" && step.hasProposals) {
      this.#scheduleProposalCommit(ch);
    } else if (step.t === "handshake" && step.shareKeys) {
      this.#shareKeys(ch, "joined");
    } else if (step.t === "keys" && step.added > 0) {
      this.#host.historyKeys({ channelId: ch.id, added: step.added });
    }
  }

  #flushHistory(ch: ChannelCrypto): void {
    if (!ch.historyUntil) return;
    this.#host.historyUnavailable({ channelId: ch.id, beforeSeq: ch.historyUntil + 1 });
    ch.historyUntil = 0;
  }

  // A queue that stays blocked means the Welcome never came (no KeyPackage was left for this
  // device, or its adder crashed) or a commit could not be applied: join by external commit.
  #blocked(ch: ChannelCrypto, seq: number): void {
    ch.blockedOn = seq;
    if (ch.joinTimer || this.#ctx.closed()) return;
    ch.joinTimer = setTimeout(() => {
      ch.joinTimer = undefined;
      if (ch.blockedOn !== seq || ch.queue[0]?.seq !== seq || this.#ctx.closed()) return;
      // A join, a rejoin or the Welcome is on its way: look again later.
      if (ch.joining || ch.rejoining || ch.welcomesInFlight > 0) return this.#blocked(ch, seq);
      this.rejoin(ch, seq);
    }, this.#ctx.joinWaitMs);
    ch.joinTimer.unref?.();
  }

  // This device has no usable group for the channel's current generation: create it (after a
  // reset) or join it; with a group it cannot follow, rejoin by external commit. A group that
  // is cryptographically broken — its GroupInfo or tree does not verify, or another MLS engine
  // made it — can be neither followed nor rejoined: ask the server for a new one.
  rejoin(ch: ChannelCrypto, blockedSeq?: number): void {
    if (ch.rejoining || this.#ctx.closed()) return;
    ch.rejoining = (async () => {
      try {
        if (ch.group) await joinByExternalCommit(this.#ctx, ch);
        else await ensureGroup(this.#ctx, ch);
      } catch (err) {
        this.#host.onError(err);
        const broken = isE2eeError(err, "invalid_message") || isE2eeError(err, "engine_mismatch");
        if (broken && !ch.removed)
          await requestReset(this.#ctx, ch, isE2eeError(err, "engine_mismatch") ? "engine_upgrade" : "unrecoverable").catch((e: unknown) =>
            this.#host.onError(e),
          );
        if (blockedSeq !== undefined) this.#blocked(ch, blockedSeq); // still blocked: try again later
      }
    })().finally(() => {
      ch.rejoining = undefined;
    });
  }

  // A check the event needs could not be made (the directory did not answer): it is neither
  // readable nor tampered yet. Try the same event again, backing off up to 30 s, for as long
  // as it takes; the rest of the channel waits behind it, as it must (order is the epoch chain).
  #retryLater(ch: ChannelCrypto): void {
    if (ch.retryTimer || this.#ctx.closed()) return;
    ch.retryTimer = setTimeout(
      () => {
        ch.retryTimer = undefined;
        this.pump(ch);
      },
      backoffDelay(ch.retryAttempt++, { initialMs: 200, maxMs: 30_000 }),
    );
    ch.retryTimer.unref?.();
  }

  #scheduleProposalCommit(ch: ChannelCrypto): void {
    if (ch.proposalTimer || this.#ctx.closed()) return;
    // Every member races to commit the server's proposals; a small random delay keeps most from trying at once.
    ch.proposalTimer = setTimeout(
      () => {
        ch.proposalTimer = undefined;
        commitProposals(this.#ctx, ch).catch((err: unknown) => this.#host.onError(err));
      },
      20 + Math.floor(Math.random() * 150),
    );
    ch.proposalTimer.unref?.();
  }
}
