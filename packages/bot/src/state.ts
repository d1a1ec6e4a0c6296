/**
 * A bot's stored state (`bot.state`): a JSON object in `<stateDir>/state.json` that survives
 * restarts. Writes are coalesced and land atomically (temp file, fsync, rename), so a crash
 * leaves the old or the new file, never half of one; `flush()` (and `bot.stop()`) waits for them.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { writeFileDurably } from "@parley/sdk/node";

/** JSON values a bot may keep. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A bot's persisted key/value state. */
export class BotState {
  readonly file: string;
  #data: Record<string, Json>;
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;
  #scheduled = false;

  private constructor(file: string, data: Record<string, Json>) {
    this.file = file;
    this.#data = data;
  }

  /** Open `<dir>/state.json` (an absent file is an empty state; an unreadable one is an error, never silently dropped). */
  static async open(dir: string): Promise<BotState> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, "state.json");
    let data: Record<string, Json> = {};
    try {
      const parsed = JSON.parse(await fs.readFile(file, "utf8")) as unknown;
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not a JSON object");
      data = parsed as Record<string, Json>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`bot state ${file} is unreadable: ${(err as Error).message}`, { cause: err });
    }
    return new BotState(file, data);
  }

  /** The value stored under `key` (a copy), or undefined. */
  get<T extends Json = Json>(key: string): T | undefined {
    const v = this.#data[key];
    return v === undefined ? undefined : (structuredClone(v) as T);
  }

  /** Store `value` under `key` (written to disk shortly; {@link flush} waits for it). */
  set(key: string, value: Json): void {
    this.#data[key] = structuredClone(value);
    this.#changed();
  }

  /** Remove `key`. */
  delete(key: string): void {
    if (!(key in this.#data)) return;
    delete this.#data[key];
    this.#changed();
  }

  /** Every stored key. */
  keys(): string[] {
    return Object.keys(this.#data);
  }

  #changed(): void {
    this.#dirty = true;
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      void this.#write().catch(() => undefined);
    });
  }

  #write(): Promise<void> {
    // Chained so two renames never race and the last state wins.
    this.#writing = this.#writing
      .catch(() => undefined)
      .then(async () => {
        if (!this.#dirty) return;
        this.#dirty = false;
        await writeFileDurably(this.file, JSON.stringify(this.#data));
      });
    return this.#writing;
  }

  /** Write pending changes now and wait until they are on disk. */
  async flush(): Promise<void> {
    await this.#write();
  }
}
