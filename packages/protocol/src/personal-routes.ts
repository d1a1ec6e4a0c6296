/**
 * The personal store (issue 13): a user's saved messages, per-channel drafts and small synced
 * settings (recent emoji), kept for all of the user's devices. Every item is sealed on the
 * device under a key derived from the user's key-locker private key (ADR 0009): the server
 * stores opaque bytes under opaque keys (an HMAC the devices compute, never a channel id or
 * seq), so it learns how many items of each kind a user has and when they change, never
 * which message is saved or what a draft says. Part of the route table in routes.ts.
 *
 * Two devices writing the same item converge by last writer wins on the client timestamp:
 * a write older than the stored one is refused with `personal_item_stale` and the stored item
 * in `details.item`, which the device adopts. A delete leaves a tombstone (no bytes) so other
 * devices learn it when they sync by `version`.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Base64, Id, Timestamp } from "./models.ts";
import { base64Length } from "./locker-routes.ts";

/** What a personal item is: a saved message, a channel's draft, a synced setting, or a reminder's text and target (reminder-routes.ts). */
export const PersonalItemKind = z.enum(["saved", "draft", "setting", "reminder"]);
/** What a personal item is. */
export type PersonalItemKind = z.infer<typeof PersonalItemKind>;

/** Limits of the personal store, per kind. */
export const PERSONAL_LIMITS = {
  /** Largest sealed item, bytes. */
  sealedBytes: { saved: 8192, draft: 65_536, setting: 16_384, reminder: 8192 } satisfies Record<PersonalItemKind, number>,
  /** Most live (not deleted) items of a kind per user; one more is `personal_item_limit`. */
  items: { saved: 2000, draft: 500, setting: 32, reminder: 1000 } satisfies Record<PersonalItemKind, number>,
  /** Largest page of `listPersonalItems`. */
  pageSize: 200,
} as const;

/** An item key: base64url of the devices' HMAC (16 to 64 characters); the server never learns what it names. */
export const PersonalItemKey = z
  .string()
  .min(16)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "an item key is base64url");

/** A stored personal item; `sealed` null is a tombstone (deleted at `clientTs`). */
export const PersonalItem = z.object({
  kind: PersonalItemKind,
  key: PersonalItemKey,
  /** The user's change counter when this item last changed: the cursor of `listPersonalItems`. */
  version: z.number().int().positive(),
  /** The writing device's clock (ms) when it made the change: the newest wins. */
  clientTs: Timestamp,
  /** The sealed item (base64), or null once deleted. */
  sealed: Base64.nullable(),
  /** The user's device that made the change. */
  deviceId: Id,
  updatedAt: Timestamp,
});
/** A stored personal item. */
export type PersonalItem = z.infer<typeof PersonalItem>;

const ItemParams = z.object({ kind: PersonalItemKind, key: PersonalItemKey });
const largest = Math.max(...Object.values(PERSONAL_LIMITS.sealedBytes));

/** Personal store routes: the caller's own items only. */
export const personalRoutes = {
  listPersonalItems: route({
    method: "GET",
    path: "/me/items",
    tag: "me",
    auth: "user",
    summary:
      "The caller's personal items (saved messages, drafts, settings; sealed) changed after `after` (a version), oldest change first, tombstones included; continue with `nextCursor`",
    query: z.object({
      kind: PersonalItemKind.optional(),
      after: z.coerce.number().int().nonnegative().default(0),
      limit: z.coerce.number().int().min(1).max(PERSONAL_LIMITS.pageSize).default(100),
    }),
    response: z.object({ items: z.array(PersonalItem), nextCursor: z.number().int().positive().nullable() }),
    noStore: true,
  }),
  putPersonalItem: route({
    method: "PUT",
    path: "/me/items/:kind/:key",
    tag: "me",
    auth: "user",
    summary:
      "Create or replace one of the caller's sealed items; a write older (`clientTs`) than the stored one is refused with `personal_item_stale` (details.item: the stored one)",
    params: ItemParams,
    body: z.object({
      sealed: Base64.max(Math.ceil(largest / 3) * 4).refine((s) => base64Length(s) >= 1, "sealed must not be empty"),
      clientTs: Timestamp,
    }),
    response: PersonalItem,
    errors: ["personal_item_stale", "personal_item_limit", "payload_too_large"],
  }),
  deletePersonalItem: route({
    method: "DELETE",
    path: "/me/items/:kind/:key",
    tag: "me",
    auth: "user",
    summary:
      "Delete one of the caller's items, leaving a tombstone other devices sync; older than the stored change: `personal_item_stale`; an unknown item is a no-op",
    params: ItemParams,
    query: z.object({ clientTs: z.coerce.number().int().nonnegative() }),
    response: null,
    errors: ["personal_item_stale"],
  }),
} as const;
