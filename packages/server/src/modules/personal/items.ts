/**
 * The personal store (issue 13, ADR 0009): each user's sealed saved messages, drafts and
 * settings, for all of their devices. The server checks ownership, sizes and counts only: it
 * cannot open an item nor tell what its key names. Two devices converge by last writer wins on
 * the client timestamp; a delete leaves a tombstone so the others learn it when they sync by
 * version. Every change bumps the user's counter and tells their devices ("personal.items").
 * Changes are not audited: they are the user's private notes, and the rows say who wrote what.
 */
import { PERSONAL_LIMITS, type PersonalItem, type PersonalItemKind } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { CommandEffects } from "../../command.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { authorize } from "../access/authorize.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import { changesAfter, countLiveItems, findItem, nextVersion, toPersonalItem, upsertItem, type PersonalItemRow } from "./store.ts";

interface ItemRef {
  kind: PersonalItemKind;
  key: string;
}

/** The stored change wins over a write made at `clientTs` when it is strictly newer. */
function refuseIfStale(existing: PersonalItemRow | undefined, clientTs: number): void {
  if (existing && Number(existing.client_ts) > clientTs) {
    throw new AppError("personal_item_stale", "another device changed this item later", { item: toPersonalItem(existing) });
  }
}

async function write(tx: Tx, fx: CommandEffects, deps: Deps, p: DeviceActor, ref: ItemRef, sealed: Uint8Array | null, clientTs: number): Promise<PersonalItem> {
  const now = deps.now();
  const version = await nextVersion(tx, p.userId);
  const row = {
    user_id: p.userId,
    kind: ref.kind,
    item_key: ref.key,
    org_id: p.orgId,
    sealed,
    version,
    client_ts: clientTs,
    device_id: p.deviceId,
    updated_at: now,
  };
  await upsertItem(tx, row);
  await appendUserStream(tx, fx, { orgId: p.orgId, userId: p.userId, kind: "personal.items", data: { kind: ref.kind, version }, now });
  return toPersonalItem(row);
}

/** PUT /me/items/:kind/:key. */
export async function putPersonalItem(deps: Deps, p: DeviceActor, ref: ItemRef, body: { sealed: string; clientTs: number }): Promise<PersonalItem> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  const sealed = Buffer.from(body.sealed, "base64");
  const max = PERSONAL_LIMITS.sealedBytes[ref.kind];
  if (sealed.length > max) throw new AppError("payload_too_large", `a sealed ${ref.kind} item may have at most ${max} bytes`, { limit: max });
  return runCommand(deps, p, "personal.putItem", async (tx, fx) => {
    const existing = await findItem(tx, p.userId, ref.kind, ref.key);
    refuseIfStale(existing, body.clientTs);
    if (!existing || existing.sealed === null) {
      const limit = PERSONAL_LIMITS.items[ref.kind];
      if ((await countLiveItems(tx, p.userId, ref.kind)) >= limit) {
        throw new AppError("personal_item_limit", `at most ${limit} ${ref.kind} items per user`, { limit });
      }
    }
    return write(tx, fx, deps, p, ref, new Uint8Array(sealed), body.clientTs);
  });
}

/** DELETE /me/items/:kind/:key: a tombstone; an unknown or already deleted item is a no-op. */
export async function deletePersonalItem(deps: Deps, p: DeviceActor, ref: ItemRef, clientTs: number): Promise<void> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  await runCommand(deps, p, "personal.deleteItem", async (tx, fx) => {
    const existing = await findItem(tx, p.userId, ref.kind, ref.key);
    if (!existing || existing.sealed === null) return;
    refuseIfStale(existing, clientTs);
    await write(tx, fx, deps, p, ref, null, clientTs);
  });
}

/** GET /me/items: the caller's own changes after the cursor. */
export async function listPersonalItems(
  deps: Deps,
  p: DeviceActor,
  q: { kind?: PersonalItemKind | undefined; after: number; limit: number },
): Promise<{ items: PersonalItem[]; nextCursor: number | null }> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  const rows = await changesAfter(deps.db, p.orgId, p.userId, q.kind, q.after, q.limit);
  const page = rows.slice(0, q.limit).map(toPersonalItem);
  return { items: page, nextCursor: rows.length > q.limit ? page[page.length - 1]!.version : null };
}
