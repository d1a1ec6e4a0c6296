/**
 * Client calls the chat, security and admin screens need beyond the
 * ChatStore adapter: encrypted attachments, fingerprints and safety numbers,
 * the org's E2EE settings and a channel's group suite. Every call goes
 * through the adapter (`chat.client`), so when the client moves into a Web
 * Worker only this file follows it.
 */
import type { Channel, E2eeConfig, E2eeSuite, MyChannel } from "@parley/protocol";
import { isE2eeError, type FileDescriptor, type ReceivedEvent } from "@parley/sdk";
import type { ChatStore } from "./chat-store.ts";

export type { FileDescriptor };

/** Progress of one upload: bytes of the file encrypted and handed to the uploader so far. */
export type UploadProgress = (sent: number, total: number) => void;

/**
 * A file's bytes as a stream that reports how far the uploader has read and
 * errors when `signal` aborts (the SDK then stops uploading; the partial upload
 * is never attached and the server collects it after 24 h).
 */
function trackedStream(file: Blob, onProgress: UploadProgress, signal: AbortSignal): ReadableStream<Uint8Array> {
  let sent = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, ctl) {
      if (signal.aborted) return ctl.error(new DOMException("Upload cancelled", "AbortError"));
      sent += chunk.length;
      onProgress(sent, file.size);
      ctl.enqueue(chunk);
    },
  });
  return file.stream().pipeThrough(counter, { signal });
}

/** Encrypt a file on this device, upload it and send it as a message to the channel. */
export async function sendFile(
  chat: ChatStore,
  channelId: string,
  file: File,
  opts: { threadRoot?: number | null; onProgress: UploadProgress; signal: AbortSignal },
): Promise<void> {
  await chat.client.sendFile(channelId, trackedStream(file, opts.onProgress, opts.signal), {
    name: file.name || "file",
    mime: file.type || "application/octet-stream",
    size: file.size,
    threadRoot: opts.threadRoot ?? null,
  });
}

/** Attachments a decoded message carries (`content.files`), ignoring malformed entries. */
export function filesOf(e: Pick<ReceivedEvent, "content"> | undefined): FileDescriptor[] {
  const files = e?.content.files;
  if (!Array.isArray(files)) return [];
  return files.filter(
    (f): f is FileDescriptor =>
      typeof f === "object" &&
      f !== null &&
      typeof (f as FileDescriptor).fileId === "string" &&
      typeof (f as FileDescriptor).key === "string" &&
      typeof (f as FileDescriptor).name === "string" &&
      typeof (f as FileDescriptor).size === "number",
  );
}

/** Why a download failed, in words that say what it means for the user. */
export function describeDownloadError(err: unknown): string {
  if (isE2eeError(err)) {
    switch (err.code as string) {
      case "attachment_digest_mismatch":
        return "The downloaded file does not match the digest its sender signed: it was altered on the server or on the way. It was not saved.";
      case "attachment_tampered":
        return "The file failed its integrity check (it was altered on the server or on the way). It was not saved.";
      case "attachment_truncated":
        return "The file arrived incomplete. Try again.";
    }
  }
  return `Could not download the file: ${err instanceof Error ? err.message : String(err)}`;
}

/** Download a file, decrypting it in this browser; rejects if its digest or any chunk does not verify. */
export async function downloadFile(chat: ChatStore, file: FileDescriptor): Promise<Blob> {
  const reader = (await chat.client.downloadFile(file)).getReader();
  // Read to the end before handing anything out: the digest is checked when the stream closes.
  // (Not `new Response(stream).blob()`: Chrome replaces the stream's error by "Failed to fetch".)
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value as Uint8Array<ArrayBuffer>);
  }
  return new Blob(parts, { type: file.mime || "application/octet-stream" });
}

/** 30-digit fingerprint (six groups of five) of one device, or of all of a user's active devices. */
export function fingerprint(chat: ChatStore, userId: string, deviceId?: string): Promise<string> {
  return chat.client.fingerprint(userId, deviceId);
}

/** 60-digit safety number of the signed-in user and `otherUserId` (both sides see the same digits). */
export function safetyNumber(chat: ChatStore, otherUserId: string): Promise<string> {
  return chat.client.safetyNumber(chat.me.id, otherUserId);
}

/** Active devices of users, as the directory vouches for them (device ids per user). */
export async function activeDevices(chat: ChatStore, userIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(userIds.map((u) => [u, []]));
  if (!userIds.length) return out;
  const { bindings } = await chat.client.api.call("listBindings", { query: { userIds } });
  for (const b of bindings) out.get(b.userId)?.push(b.deviceId);
  return out;
}

/** User ids of a channel's members. */
export async function channelMemberIds(chat: ChatStore, channelId: string): Promise<string[]> {
  const r = await chat.client.api.call("listMembers", { params: { channelId } });
  return r.members.map((m) => m.userId);
}

/** The org's E2EE settings (suite for new groups). */
export function e2eeConfig(chat: ChatStore): Promise<E2eeConfig> {
  return chat.client.api.call("getE2eeConfig");
}

/** Set the org's suite for groups created from now on (owners/admins). */
export function setE2eeSuite(chat: ChatStore, suite: E2eeSuite): Promise<E2eeConfig> {
  return chat.client.api.call("setE2eeConfig", { body: { suite } });
}

/** The suite, epoch and generation of a channel's MLS group (suite null while it has none). */
export async function channelGroup(chat: ChatStore, channelId: string): Promise<{ suite: E2eeSuite | null; epoch: number; generation: number }> {
  const r = await chat.client.api.call("getGroupInfo", { params: { channelId } });
  return { suite: r.suite, epoch: r.epoch, generation: r.generation };
}

/**
 * Whether the signed-in user may reset a channel's encryption: what the server's
 * `channel.manage` rule allows (channel admins, org owners and admins, members of
 * DMs and group DMs), on an encrypted client and a channel that is not archived.
 */
export function mayResetEncryption(chat: ChatStore, c: MyChannel): boolean {
  if (!chat.client.codec.encrypted || c.archived) return false;
  return c.myRole === "admin" || chat.isAdmin || c.kind === "dm" || c.kind === "group_dm";
}

/**
 * Reset a channel's encryption (a new MLS group generation; every member's devices
 * rejoin on their own). Resolves with the new generation once this device has
 * processed the reset; rejects with the server's error (e.g. `forbidden`).
 */
export function resetEncryption(chat: ChatStore, channelId: string): Promise<number> {
  return chat.client.resetEncryption(channelId);
}

/** The suite this device's MLS identity uses (the one it creates groups with). */
export function deviceSuite(chat: ChatStore): E2eeSuite | undefined {
  return chat.client.e2ee?.config.suite;
}

/** Every public and private channel of the org (admins): public ones from browse, plus the private ones the admin is in. */
export async function orgChannels(chat: ChatStore): Promise<Array<Channel & { joined: boolean }>> {
  const [browse, mine] = await Promise.all([allPublicChannels(chat), chat.client.api.call("listChannels")]);
  const byId = new Map(browse.map((c) => [c.id, c]));
  for (const c of mine.channels) if (c.kind === "private" && !byId.has(c.id)) byId.set(c.id, { ...c, joined: true });
  return [...byId.values()];
}

/** Every public channel, archived ones included, page by page. */
async function allPublicChannels(chat: ChatStore): Promise<Array<Channel & { joined: boolean }>> {
  const out: Array<Channel & { joined: boolean }> = [];
  for (;;) {
    const page = await chat.client.api.call("browseChannels", { query: { includeArchived: "true", limit: 200, offset: out.length } });
    out.push(...page.channels);
    if (!page.hasMore || page.channels.length === 0) return out;
  }
}

/** Listen to decoded channel events (the SDK's "event"); returns the unsubscribe function. */
export function onChannelEvent(chat: ChatStore, fn: (e: ReceivedEvent) => void): () => void {
  return chat.client.on("event", fn);
}
