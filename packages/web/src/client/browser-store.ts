/**
 * The browser's LocalStore: the SDK's MemoryStore, with the session, sync
 * cursors, channel list and outbox saved to localStorage so a reload resumes
 * where it stopped (events are not saved: the app pages history from the
 * server). An IndexedDB store (issue 4) replaces this behind the same
 * LocalStore interface; nothing else in the app touches persistence.
 */
import { emptySnapshot, MemoryStore, type StoreSnapshot } from "@parley/sdk";

const KEY = "parley.store.v1";

/** Read the saved snapshot, or an empty one when there is none or it is unreadable. */
function loadSnapshot(storage: Storage): StoreSnapshot {
  try {
    const raw = storage.getItem(KEY);
    if (!raw) return emptySnapshot();
    const v = JSON.parse(raw) as Partial<StoreSnapshot>;
    if (v.version !== 1) return emptySnapshot();
    return { ...emptySnapshot(), ...v, events: {} };
  } catch {
    return emptySnapshot();
  }
}

/** A MemoryStore that writes its durable parts to localStorage (debounced, flushed on demand). */
export class BrowserStore extends MemoryStore {
  readonly #storage: Storage;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(storage: Storage = localStorage) {
    super({ maxEventsPerChannel: 200 }, loadSnapshot(storage));
    this.#storage = storage;
  }

  protected override changed(): void {
    // Batch bursts (a replay writes a cursor per page) into one write.
    this.#timer ??= setTimeout(() => void this.flush(), 200);
  }

  override async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const { session, cursors, channels, outbox } = this.state;
    if (!session) {
      this.#storage.removeItem(KEY);
      return;
    }
    this.#storage.setItem(KEY, JSON.stringify({ version: 1, session, cursors, channels, outbox, events: {} }));
  }

  /** Forget everything (sign out). */
  wipe(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.state = emptySnapshot();
    this.#storage.removeItem(KEY);
  }
}
