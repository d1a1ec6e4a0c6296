/**
 * Uploads in progress, per channel: each file is encrypted and uploaded by
 * the SDK while this store reports its progress to the view and lets the
 * user cancel it. Module-level so a channel switch does not lose them.
 */
import { useSyncExternalStore } from "react";
import type { ChatStore } from "../client/chat-store.ts";
import { sendFile } from "../client/extras.ts";
import { describeError } from "../client/session.ts";

/** One file on its way. */
export interface Upload {
  id: number;
  channelId: string;
  name: string;
  size: number;
  sent: number;
  state: "uploading" | "failed";
  error?: string;
  cancel: () => void;
}

let uploads: Upload[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function set(next: Upload[]): void {
  uploads = next;
  for (const fn of listeners) fn();
}

function patch(id: number, p: Partial<Upload>): void {
  set(uploads.map((u) => (u.id === id ? { ...u, ...p } : u)));
}

/** Remove an upload row (after a failure the user dismisses it). */
export function dismissUpload(id: number): void {
  set(uploads.filter((u) => u.id !== id));
}

/** Start uploading files to a channel (or a thread); each one becomes its own message. */
export function startUploads(chat: ChatStore, channelId: string, files: Iterable<File>, threadRoot: number | null = null): void {
  for (const file of files) {
    const id = nextId++;
    const ac = new AbortController();
    set([...uploads, { id, channelId, name: file.name, size: file.size, sent: 0, state: "uploading", cancel: () => ac.abort() }]);
    let last = 0;
    sendFile(chat, channelId, file, {
      threadRoot,
      signal: ac.signal,
      // Progress arrives per encrypted chunk; re-render at most every 100 ms.
      onProgress: (sent) => {
        const now = Date.now();
        if (now - last > 100 || sent === file.size) {
          last = now;
          patch(id, { sent });
        }
      },
    }).then(
      () => dismissUpload(id),
      (err: unknown) => (ac.signal.aborted ? dismissUpload(id) : patch(id, { state: "failed", error: describeError(err) })),
    );
  }
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Uploads of one channel, re-rendering on progress. */
export function useUploads(channelId: string): Upload[] {
  const all = useSyncExternalStore(subscribe, () => uploads);
  return all.filter((u) => u.channelId === channelId);
}
