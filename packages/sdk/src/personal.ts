/**
 * The personal store from a device (issue 13, ADR 0009): the user's saved messages, per-channel
 * drafts and small synced settings (recent emoji), sealed here under keys derived from the
 * user's key-locker private key and kept on the server as opaque items for all of the user's
 * devices. The server sees item counts and change times, never which message is saved (the
 * reference is sealed too, under an HMAC key) nor what a draft says.
 *
 * A device keeps a mirror of the opened items and pulls changes after its cursor (`sync`): on
 * start, when a channel opens, and when the server announces a change ("personal.items" on the
 * user stream). Writes are last-writer-wins by this device's clock: when another device wrote
 * the item later, the server refuses ours with `personal_item_stale` and we adopt its item.
 */
import { personalKeys, type PersonalKeys } from "@parley/crypto";
import { PERSONAL_LIMITS, type PersonalItem, type PersonalItemKind } from "@parley/protocol";
import { base64ToBytes, bytesToBase64 } from "./codec.ts";
import { ParleyError } from "./errors.ts";
import type { Api } from "./http.ts";
import type { ClientMessages } from "./client-messages.ts";

/** A saved message: a reference to it, and what the user saw when saving it. */
export interface SavedMessage {
  channelId: string;
  seq: number;
  /** When it was saved (this device's clock). */
  savedAt: number;
  /** The sender and the first characters of the text when it was saved (shown if the message cannot be opened later). */
  senderId?: string;
  preview?: string;
}

/** A channel's (or a thread's) unsent text. */
export interface Draft {
  channelId: string;
  /** The thread the draft replies in, or null for the channel. */
  threadRoot: number | null;
  text: string;
  updatedAt: number;
}

/** What a reminder says and points at (reminders.ts): sealed here, the server holds only its time. */
export interface ReminderNote {
  /** The server's reminder id. */
  id: string;
  text: string;
  /** The message it is about ("Remind me" on a message), if any. */
  target?: { channelId: string; seq: number };
  createdAt: number;
}

/** Longest saved preview, characters. */
export const SAVED_PREVIEW_CHARS = 280;

interface Mirrored {
  item: PersonalItem;
  value: unknown;
}

/** Where the store gets the user's locker private key and who the user is. */
export interface PersonalStoreOptions {
  api: Api;
  owner: () => { orgId: string; userId: string };
  /** The locker private key (a copy the store may wipe), or undefined when this device does not hold it. */
  lockerPrivateKey: () => Promise<Uint8Array | undefined>;
  now?: () => number;
}

/**
 * A client's personal store: the locker private key from its E2EE engine (the identity key read
 * beside it is wiped at once), and a sync whenever the server announces a change to this user.
 */
export function personalStoreOf(client: ClientMessages & { readonly session: { orgId: string } | undefined }): PersonalStore {
  const store = new PersonalStore({
    api: client.api,
    owner: () => ({ orgId: client.session?.orgId ?? "", userId: client.userId }),
    lockerPrivateKey: async () => {
      const secrets = await client.e2ee?.locker.secrets();
      secrets?.identityPrivateKey.fill(0);
      return secrets?.lockerPrivateKey;
    },
  });
  client.on("user", (item) => {
    if (item.kind === "personal.items") store.sync().catch((err: unknown) => client.emit("error", err));
  });
  return store;
}

const savedName = (channelId: string, seq: number) => `${channelId}/${seq}`;
const draftName = (channelId: string, threadRoot: number | null) => (threadRoot === null ? channelId : `${channelId}/${threadRoot}`);

/** The user's saved messages, drafts and settings as one device sees them. */
export class PersonalStore {
  readonly #o: PersonalStoreOptions;
  readonly #now: () => number;
  #keys: Promise<PersonalKeys> | undefined;
  /** Opened items by "kind/key" (tombstones removed). */
  readonly #items = new Map<string, Mirrored>();
  #cursor = 0;
  #syncing: Promise<void> | undefined;
  #again = false;
  readonly #listeners = new Set<(kind: PersonalItemKind) => void>();

  constructor(o: PersonalStoreOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /** Call `fn` whenever items of a kind changed here (a sync brought changes, or this device wrote). Returns an unsubscribe function. */
  onChange(fn: (kind: PersonalItemKind) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Pull every change after this device's cursor (concurrent calls share one pull, and one more follows if asked meanwhile). */
  sync(): Promise<void> {
    if (this.#syncing) {
      this.#again = true;
      return this.#syncing;
    }
    this.#syncing = (async () => {
      do {
        this.#again = false;
        await this.#pull();
      } while (this.#again);
    })().finally(() => (this.#syncing = undefined));
    return this.#syncing;
  }

  // ---- saved messages ------------------------------------------------

  /** Saved messages, newest first (as of the last sync). */
  saved(): SavedMessage[] {
    return this.#values<SavedMessage>("saved").sort((a, b) => b.savedAt - a.savedAt);
  }

  /** Whether a message is saved (as of the last sync). */
  async isSaved(channelId: string, seq: number): Promise<boolean> {
    return this.#items.has(`saved/${(await this.#k()).itemKey("saved", savedName(channelId, seq))}`);
  }

  /** Save a message (saving it again replaces its preview). */
  async save(input: { channelId: string; seq: number; senderId?: string; text?: string }): Promise<SavedMessage> {
    const value: SavedMessage = {
      channelId: input.channelId,
      seq: input.seq,
      savedAt: this.#now(),
      ...(input.senderId ? { senderId: input.senderId } : {}),
      ...(input.text ? { preview: input.text.slice(0, SAVED_PREVIEW_CHARS) } : {}),
    };
    return (await this.#put("saved", savedName(input.channelId, input.seq), value)) as SavedMessage;
  }

  /** Remove a message from the saved ones. */
  async unsave(channelId: string, seq: number): Promise<void> {
    await this.#delete("saved", savedName(channelId, seq));
  }

  // ---- drafts -----------------------------------------------------------

  /** The draft of a channel (or of a thread in it), as of the last sync. */
  async draft(channelId: string, threadRoot: number | null = null): Promise<Draft | undefined> {
    return this.#items.get(`draft/${(await this.#k()).itemKey("draft", draftName(channelId, threadRoot))}`)?.value as Draft | undefined;
  }

  /** Every draft, newest first. */
  drafts(): Draft[] {
    return this.#values<Draft>("draft").sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /**
   * Keep `text` as the channel's (or thread's) draft; empty text deletes it (call that after
   * sending). Returns the draft that won: another device's when it wrote later.
   */
  async setDraft(channelId: string, text: string, threadRoot: number | null = null): Promise<Draft | undefined> {
    const name = draftName(channelId, threadRoot);
    if (text.trim() === "") {
      await this.#delete("draft", name);
      return this.draft(channelId, threadRoot);
    }
    return (await this.#put("draft", name, { channelId, threadRoot, text, updatedAt: this.#now() } satisfies Draft)) as Draft;
  }

  // ---- settings ---------------------------------------------------------

  /** A synced setting (JSON), e.g. recently used emoji. */
  async setting<T>(name: string): Promise<T | undefined> {
    return (this.#items.get(`setting/${(await this.#k()).itemKey("setting", name)}`)?.value as { value: T } | undefined)?.value;
  }

  /** Store a synced setting (JSON, sealed like the rest). */
  async setSetting(name: string, value: unknown): Promise<void> {
    await this.#put("setting", name, { name, value });
  }

  // ---- reminders' text -------------------------------------------------

  /** A reminder's sealed note (as of the last sync). */
  async reminderNote(id: string): Promise<ReminderNote | undefined> {
    return this.#items.get(`reminder/${(await this.#k()).itemKey("reminder", id)}`)?.value as ReminderNote | undefined;
  }

  /** Seal a reminder's note under its id. */
  async setReminderNote(note: ReminderNote): Promise<void> {
    await this.#put("reminder", note.id, note);
  }

  /** Delete a reminder's note (the reminder was cancelled or done). */
  async deleteReminderNote(id: string): Promise<void> {
    await this.#delete("reminder", id);
  }

  // ---- internals ----------------------------------------------------------

  #k(): Promise<PersonalKeys> {
    this.#keys ??= (async () => {
      const key = await this.#o.lockerPrivateKey();
      if (!key) {
        throw new ParleyError({
          code: "locker_unavailable",
          message: "saved messages and drafts need the key locker on this device: set it up, restore it or approve this device",
        });
      }
      try {
        return personalKeys(key, this.#o.owner());
      } finally {
        key.fill(0);
      }
    })();
    // A device approved later gets another chance.
    this.#keys.catch(() => (this.#keys = undefined));
    return this.#keys;
  }

  #values<T>(kind: PersonalItemKind): T[] {
    return [...this.#items.values()].filter((m) => m.item.kind === kind).map((m) => m.value as T);
  }

  async #pull(): Promise<void> {
    const keys = await this.#k();
    const changed = new Set<PersonalItemKind>();
    for (;;) {
      const page = await this.#o.api.call("listPersonalItems", { query: { after: this.#cursor, limit: PERSONAL_LIMITS.pageSize } });
      for (const item of page.items) if (await this.#adopt(keys, item)) changed.add(item.kind);
      if (page.items.length) this.#cursor = Math.max(this.#cursor, page.items[page.items.length - 1]!.version);
      if (page.nextCursor === null) break;
    }
    for (const kind of changed) this.#tell(kind);
  }

  /** Take a server item into the mirror unless the mirror holds a newer change; returns whether anything changed. */
  async #adopt(keys: PersonalKeys, item: PersonalItem): Promise<boolean> {
    const id = `${item.kind}/${item.key}`;
    const held = this.#items.get(id);
    if (held && held.item.version >= item.version) return false;
    if (item.sealed === null) return this.#items.delete(id);
    const plain = await keys.open(item.kind, item.key, base64ToBytes(item.sealed));
    this.#items.set(id, { item, value: JSON.parse(new TextDecoder().decode(plain)) });
    return true;
  }

  async #put(kind: PersonalItemKind, name: string, value: unknown): Promise<unknown> {
    const keys = await this.#k();
    const key = keys.itemKey(kind, name);
    const sealed = await keys.seal(kind, key, new TextEncoder().encode(JSON.stringify(value)));
    try {
      const item = await this.#o.api.call("putPersonalItem", { params: { kind, key }, body: { sealed: bytesToBase64(sealed), clientTs: this.#now() } });
      this.#items.set(`${kind}/${key}`, { item, value });
    } catch (err) {
      if (!(await this.#adoptWinner(keys, err))) throw err;
    }
    this.#tell(kind);
    return this.#items.get(`${kind}/${key}`)?.value;
  }

  async #delete(kind: PersonalItemKind, name: string): Promise<void> {
    const keys = await this.#k();
    const key = keys.itemKey(kind, name);
    try {
      await this.#o.api.call("deletePersonalItem", { params: { kind, key }, query: { clientTs: this.#now() } });
      this.#items.delete(`${kind}/${key}`);
    } catch (err) {
      if (!(await this.#adoptWinner(keys, err))) throw err;
    }
    this.#tell(kind);
  }

  /** Another device wrote the item later: its version wins here too. */
  async #adoptWinner(keys: PersonalKeys, err: unknown): Promise<boolean> {
    if (!(err instanceof ParleyError) || err.code !== "personal_item_stale") return false;
    const item = (err.details as { item?: PersonalItem } | undefined)?.item;
    if (!item) return false;
    await this.#adopt(keys, item);
    return true;
  }

  #tell(kind: PersonalItemKind): void {
    for (const fn of this.#listeners) fn(kind);
  }
}
