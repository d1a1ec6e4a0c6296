/** Tables of the personal store and custom emoji (migration 0040, issue 13), and reminders (0042). */

/** A user's sealed personal item (saved message, draft, setting); `sealed` null is a tombstone. */
export interface PersonalItemsTable {
  user_id: string;
  kind: string;
  /** Opaque key the user's devices compute (an HMAC): never a channel id or seq. */
  item_key: string;
  org_id: string;
  sealed: Uint8Array | null;
  /** The user's change counter at this item's last change (personal_heads.version). */
  version: number;
  client_ts: number;
  device_id: string;
  updated_at: number;
}

/** Each user's personal-store change counter: bumped (row-locked) by every change. */
export interface PersonalHeadsTable {
  user_id: string;
  version: number;
}

/** A custom emoji of an org: an org asset stored in the clear (not message content). */
export interface CustomEmojiTable {
  org_id: string;
  name: string;
  content_type: string;
  data: Uint8Array;
  version: string;
  width: number;
  height: number;
  created_by: string;
  created_at: number;
}

/** A user's reminder: when it is due and whether it fired; its text is a sealed personal item (kind "reminder"). */
export interface RemindersTable {
  id: string;
  org_id: string;
  user_id: string;
  due_at: number;
  /** "pending" until due, then "fired" until the user dismisses (deletes) or snoozes it. */
  state: string;
  created_at: number;
  fired_at: number | null;
}
