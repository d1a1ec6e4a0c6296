/**
 * Sealed locker entries (ADR 0007): every device of a user appends the history keys it holds,
 * HPKE-sealed in batches to the user's locker public key; the server stores each with its
 * batch's metadata and serves a user only their own. Appends are not audited (a device appends
 * after every commit it sees: the entries themselves record who appended what and when).
 */
import type { LockerEntry } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { authorize } from "../access/authorize.ts";
import { entriesAfter, findLocker, insertEntries, memberChannels, type NewLockerEntry } from "./store.ts";

interface EntryInput {
  channelId: string | null;
  generation: number | null;
  fromEpoch: number;
  toEpoch: number;
  sealed: string;
}

/** POST /me/locker/entries: all entries or none. */
export async function appendLockerEntries(deps: Deps, p: DeviceActor, entries: EntryInput[]): Promise<{ ids: number[] }> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  return runCommand(deps, p, "locker.appendEntries", async (tx) => {
    if (!(await findLocker(tx, p.orgId, p.userId))) throw notFound("key locker (set it up first)");
    const named = [...new Set(entries.flatMap((e) => (e.channelId === null ? [] : [e.channelId])))];
    const member = await memberChannels(tx, p.orgId, p.userId, named);
    const refused = named.filter((id) => !member.has(id));
    // One answer for "not a member" and "no such channel" (another org's included): it tells nothing.
    if (refused.length) throw new AppError("forbidden", "locker entries may name only channels you are a member of", { channelIds: refused });
    const now = deps.now();
    const rows: NewLockerEntry[] = entries.map((e) => ({
      org_id: p.orgId,
      user_id: p.userId,
      device_id: p.deviceId,
      channel_id: e.channelId,
      generation: e.generation,
      from_epoch: e.fromEpoch,
      to_epoch: e.toEpoch,
      sealed: new Uint8Array(Buffer.from(e.sealed, "base64")),
      created_at: now,
    }));
    return { ids: await insertEntries(tx, rows) };
  });
}

/** GET /me/locker/entries: the caller's own entries after the cursor, oldest first. */
export async function listLockerEntries(
  deps: Deps,
  p: DeviceActor,
  after: number,
  limit: number,
): Promise<{ entries: LockerEntry[]; nextCursor: number | null }> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  const rows = await entriesAfter(deps.db, p.orgId, p.userId, after, limit);
  const page = rows.slice(0, limit).map((r): LockerEntry => ({
    id: Number(r.id),
    channelId: r.channel_id,
    generation: r.generation === null ? null : Number(r.generation),
    fromEpoch: Number(r.from_epoch),
    toEpoch: Number(r.to_epoch),
    sealed: Buffer.from(r.sealed).toString("base64"),
    deviceId: r.device_id,
    createdAt: Number(r.created_at),
  }));
  return { entries: page, nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
}
