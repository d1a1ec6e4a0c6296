/**
 * Reading the compliance archive for an export, on the officer's machine (ADR 0008): for each
 * channel, its sealed key batches opened with the archive private key, then its archived events
 * (legal-hold copies included) page by page, each turned into an item (archive-events.ts). The
 * senders' signature keys come from the device directory, each binding checked against the
 * server's directory key, revoked devices included (they signed in the past).
 */
import { verifyBinding, type SuiteName } from "@parley/crypto";
import type { ArchivedChannel } from "@parley/protocol";
import type { Api } from "@parley/sdk/node";
import { draftItem, markDeleted, type ChannelReader, type DraftItem } from "./archive-events.ts";
import { openChannelKeys } from "./archive-keys.ts";
import type { ExportPerson } from "./items.ts";

const EVENTS_PAGE = 1000;
const b = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

/** What to read and how to report. */
export interface ArchiveReadOptions {
  api: Api;
  orgId: string;
  archivePrivateKey: Uint8Array;
  channels: readonly ArchivedChannel[];
  person(userId: string): ExportPerson;
  /** Only items sent at or after `from` and before `to` (ms), by `userId` when given. */
  from: number | null;
  to: number | null;
  userId: string | null;
  /** A progress line (stderr). */
  note(text: string): void;
}

/** What was read. */
export interface ArchiveRead {
  /** Items of every channel, in channel order and seq order within each. */
  drafts: DraftItem[];
  /** Content events read (before the time and user filters). */
  events: number;
  batches: { opened: number; failed: number };
  /** Items whose epoch's key is not in the archive: channel#seq. */
  keyMissing: string[];
  /** Items whose server metadata differs from the sender's. */
  relabelled: number;
}

/** The verified signature keys of the org's devices, fetched per user on first use (bindings signed by any of `directoryKeys`). */
export function senderKeys(api: Api, orgId: string, directoryKeys: Uint8Array[]): ChannelReader["senderKey"] {
  const byUser = new Map<string, Promise<Map<string, { key: Uint8Array; suite: SuiteName }>>>();
  return async (userId, deviceId) => {
    let p = byUser.get(userId);
    if (!p) {
      p = api.call("listBindings", { query: { userIds: [userId], includeRevoked: "true" } }).then(({ bindings }) => {
        const m = new Map<string, { key: Uint8Array; suite: SuiteName }>();
        for (const x of bindings) {
          const binding = { orgId: x.orgId, userId: x.userId, deviceId: x.deviceId, signaturePublicKey: b(x.signaturePublicKey), signature: b(x.signature) };
          if (x.orgId === orgId && x.userId === userId && directoryKeys.some((k) => verifyBinding(binding, k)))
            m.set(x.deviceId, { key: binding.signaturePublicKey, suite: x.suite });
        }
        return m;
      });
      byUser.set(userId, p);
    }
    return (await p).get(deviceId);
  };
}

/** Opens the channels' keys and reads their events into items. */
export async function readArchive(o: ArchiveReadOptions, senderKey: ChannelReader["senderKey"]): Promise<ArchiveRead> {
  const out: ArchiveRead = { drafts: [], events: 0, batches: { opened: 0, failed: 0 }, keyMissing: [], relabelled: 0 };
  for (const ch of o.channels) {
    const { entries } = await o.api.call("listArchiveKeys", { params: { channelId: ch.id } });
    const keys = await openChannelKeys(o.archivePrivateKey, o.orgId, ch.id, entries);
    out.batches.opened += keys.opened;
    out.batches.failed += keys.failed.length;
    o.note(`#${ch.name}: opened ${keys.opened} of ${entries.length} sealed key batches (${keys.slots} epochs' history keys)`);
    for (const f of keys.failed.slice(0, 5)) o.note(`  a batch sealed by user ${f.userId}, device ${f.deviceId} does not open with this archive key (${f.id})`);

    const reader: ChannelReader = { orgId: o.orgId, channelId: ch.id, keys, senderKey, person: o.person };
    const drafts: DraftItem[] = [];
    let after = 0;
    for (;;) {
      const page = await o.api.call("listArchiveEvents", { params: { channelId: ch.id }, query: { after, limit: EVENTS_PAGE } });
      for (const e of page.events) {
        if (e.seq <= after) continue; // never twice, whatever the server sends
        after = e.seq;
        const d = await draftItem(e, reader);
        if (d) drafts.push(d);
      }
      o.note(`#${ch.name}: ${drafts.length} content events read`);
      if (!page.hasMore || !page.events.length) break;
    }
    out.events += drafts.length;
    // Deletions mark their targets whatever the time window: that an item was deleted later is part of what it is.
    markDeleted(drafts);
    for (const d of drafts) {
      if (o.from !== null && d.createdAt < o.from) continue;
      if (o.to !== null && d.createdAt >= o.to) continue;
      if (o.userId !== null && d.item.sender.userId !== o.userId) continue;
      out.drafts.push(d);
      if (d.keyMissing) out.keyMissing.push(`#${ch.name}#${d.item.seq}`);
      if (d.relabelled) out.relabelled++;
    }
  }
  return out;
}
