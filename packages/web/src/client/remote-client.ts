/**
 * The page's stand-in for the ParleyClient that runs in the client worker:
 * the same calls and events (`api.call`, `send`, `sendFile`, `on("event")`…)
 * with every method asynchronous, plus mirrored state the UI reads
 * synchronously (codec, session ids, pending sends, E2EE config). Screens use
 * it through `chat.client` exactly as they used the client itself.
 */
import {
  Emitter,
  isParleyError,
  type Api,
  type ClientEvents,
  type E2eeEngine,
  type FileDescriptor,
  type LockerStatus,
  type AcceptedApproval,
  type DeviceTrust,
  type HistoryExportProgress,
  type NewReminder,
  type ParleyClient,
  type ReceivedEvent,
  type ReminderView,
} from "@parley/sdk";
import type { ApprovalRequest } from "@parley/protocol";
import { deserializeError, type SerializedError } from "../worker/errors.ts";
import type {
  AvatarImage,
  ClientMethod,
  DataExport,
  ClientSnapshot,
  PageSession,
  PersonalAction,
  PersonalSnapshot,
  SearchAnswer,
  WorkerPush,
} from "../worker/protocol.ts";
import { fromWire, toWire, type WireStream } from "../worker/streams.ts";
import type { WorkerLink } from "./worker-link.ts";
import { RemoteCalls } from "./remote-calls.ts";

type Args<M extends ClientMethod> = Parameters<ParleyClient[M]>;
type Result<M extends ClientMethod> = Promise<Awaited<ReturnType<ParleyClient[M]>>>;

/** A ParleyClient running in the client worker, seen from the page. */
export class RemoteClient extends Emitter<ClientEvents> {
  /** Typed REST calls, made by the worker's authenticated client. */
  readonly api: Pick<Api, "baseUrl" | "call">;
  /** The content codec in use ("mls"; `encrypted` false only with a test codec). */
  readonly codec: { readonly name: string; readonly encrypted: boolean };
  /** The org's E2EE settings as the device's engine loaded them. */
  readonly e2ee: { readonly config: E2eeEngine["config"] } | undefined;
  /** Call signalling and call keys (`client.calls` of the worker's client). */
  readonly calls: RemoteCalls;
  #session: PageSession | undefined;
  #pendingSends = 0;
  readonly #link: WorkerLink;
  readonly #stateListeners = new Set<() => void>();

  constructor(link: WorkerLink, snapshot: ClientSnapshot) {
    super();
    this.#link = link;
    this.codec = snapshot.codec;
    this.e2ee = snapshot.e2eeConfig ? { config: snapshot.e2eeConfig } : undefined;
    this.#session = snapshot.session;
    this.calls = new RemoteCalls(link);
    this.api = {
      baseUrl: location.origin,
      call: ((route: string, input?: unknown) => this.#watch(link.request({ op: "api", route, input }))) as Api["call"],
    };
    link.onPush = (m) => this.#onPush(m);
  }

  /** The signed-in session's ids (tokens stay in the worker), or undefined once it ended. */
  get session(): PageSession | undefined {
    return this.#session;
  }

  /** The signed-in user's id. */
  get userId(): string {
    return this.#session?.userId ?? "";
  }

  /** Sends not yet acknowledged (mirrored from the worker about twice a second). */
  get pendingSends(): number {
    return this.#pendingSends;
  }

  /** Called when mirrored state (pending sends, session) changes; returns the unsubscribe function. */
  onStateChange(fn: () => void): () => void {
    this.#stateListeners.add(fn);
    return () => this.#stateListeners.delete(fn);
  }

  connect(): void {
    void this.#call("connect", []).catch((err: unknown) => this.emit("error", err));
  }
  typing(...a: Args<"typing">): void {
    void this.#call("typing", a).catch(() => undefined);
  }
  watchPresence(...a: Args<"watchPresence">): void {
    void this.#call("watchPresence", a).catch(() => undefined);
  }
  setPresence(...a: Args<"setPresence">): void {
    void this.#call("setPresence", a).catch(() => undefined);
  }
  send(...a: Args<"send">): Result<"send"> {
    return this.#call("send", a);
  }
  sendMessage(...a: Args<"sendMessage">): Result<"sendMessage"> {
    return this.#call("sendMessage", a);
  }
  reply(...a: Args<"reply">): Result<"reply"> {
    return this.#call("reply", a);
  }
  react(...a: Args<"react">): Result<"react"> {
    return this.#call("react", a);
  }
  edit(...a: Args<"edit">): Result<"edit"> {
    return this.#call("edit", a);
  }
  delete(...a: Args<"delete">): Result<"delete"> {
    return this.#call("delete", a);
  }
  markRead(...a: Args<"markRead">): Result<"markRead"> {
    return this.#call("markRead", a);
  }
  channels(): Result<"channels"> {
    return this.#call("channels", []);
  }
  createChannel(...a: Args<"createChannel">): Result<"createChannel"> {
    return this.#call("createChannel", a);
  }
  openDm(...a: Args<"openDm">): Result<"openDm"> {
    return this.#call("openDm", a);
  }
  addMembers(...a: Args<"addMembers">): Result<"addMembers"> {
    return this.#call("addMembers", a);
  }
  joinChannel(...a: Args<"joinChannel">): Result<"joinChannel"> {
    return this.#call("joinChannel", a);
  }
  removeMember(...a: Args<"removeMember">): Result<"removeMember"> {
    return this.#call("removeMember", a);
  }
  fingerprint(...a: Args<"fingerprint">): Result<"fingerprint"> {
    return this.#call("fingerprint", a);
  }
  safetyNumber(...a: Args<"safetyNumber">): Result<"safetyNumber"> {
    return this.#call("safetyNumber", a);
  }
  decode(...a: Args<"decode">): Result<"decode"> {
    return this.#call("decode", a);
  }
  history(...a: Args<"history">): Result<"history"> {
    return this.#call("history", a);
  }
  eventAt(...a: Args<"eventAt">): Result<"eventAt"> {
    return this.#call("eventAt", a);
  }
  idle(): Result<"idle"> {
    return this.#call("idle", []);
  }
  settled(): Result<"settled"> {
    return this.#call("settled", []);
  }
  waitUntilLive(...a: Args<"waitUntilLive">): Result<"waitUntilLive"> {
    return this.#call("waitUntilLive", a);
  }
  resetEncryption(...a: Args<"resetEncryption">): Result<"resetEncryption"> {
    return this.#call("resetEncryption", a);
  }
  /** Every known channel's compliance archive status (changes come as `archive.status`). */
  archiveStatuses(): Result<"archiveStatuses"> {
    return this.#call("archiveStatuses", []);
  }

  /** Whether the user has a key locker and whether this device reads it. */
  lockerStatus(): Promise<LockerStatus> {
    return this.#link.request({ op: "locker", action: "status" });
  }

  /** Notification keywords sealed to the user's key locker, for the settings' `keywordsSealed` (null: none). */
  sealKeywords(keywords: string[]): Promise<string | null> {
    return this.#link.request({ op: "keywords", seal: keywords });
  }

  /** The settings' `keywordsSealed` opened; undefined when this device does not hold the locker key. */
  openKeywords(sealed: string | null): Promise<string[] | undefined> {
    return this.#link.request({ op: "keywords", open: sealed });
  }

  /** Set up the user's key locker (first device): the recovery key, to show once. */
  setUpLocker(): Promise<string> {
    return this.#link.request({ op: "locker", action: "setUp" });
  }

  /** Read every channel's past on this device with the recovery key; the number of history keys that were new. */
  restoreLocker(recoveryKey: string): Promise<number> {
    return this.#link.request({ op: "locker", action: "restore", recoveryKey });
  }

  /** Replace the recovery key (from a device that reads the locker): the new key, to show once. */
  changeRecoveryKey(): Promise<string> {
    return this.#link.request({ op: "locker", action: "changeRecoveryKey" });
  }

  /** Device approval, new device: ask the user's other devices (the request, with its id). */
  requestApproval(): Promise<ApprovalRequest> {
    return this.#link.request({ op: "approval", action: "request" });
  }

  /** New device: wait until another device accepts; the six-digit code to show. */
  approvalCode(requestId: string): Promise<string> {
    return this.#link.request({ op: "approval", action: "code", requestId });
  }

  /** New device: wait for the approval, then read the key locker; the number of history keys that were new. */
  awaitApproval(requestId: string): Promise<number> {
    return this.#link.request({ op: "approval", action: "await", requestId });
  }

  /** New device: withdraw the request. */
  cancelApproval(requestId: string): Promise<void> {
    return this.#link.request({ op: "approval", action: "cancel", requestId });
  }

  /** Approving device: the open requests of the user's other devices. */
  pendingApprovals(): Promise<ApprovalRequest[]> {
    return this.#link.request({ op: "approval", action: "pending" });
  }

  /** Approving device: accept a request; the code to compare (once the new device revealed its key). */
  acceptApproval(requestId: string): Promise<AcceptedApproval> {
    return this.#link.request({ op: "approval", action: "accept", requestId });
  }

  /** Approving device: the codes matched — hand the keys over and approve. */
  confirmApproval(requestId: string): Promise<void> {
    return this.#link.request({ op: "approval", action: "confirm", requestId });
  }

  /** Approving device: decline a request. */
  declineApproval(requestId: string): Promise<void> {
    return this.#link.request({ op: "approval", action: "decline", requestId });
  }

  /** Which devices of these users carry an approval that verifies. */
  deviceTrust(userIds: string[]): Promise<DeviceTrust[]> {
    return this.#link.request({ op: "approval", action: "trust", userIds });
  }

  /** Search every channel's messages in this device's index (in the worker): hits, best first, and how far the index is. */
  searchMessages(query: string, opts: { channelId?: string; limit?: number } = {}): Promise<SearchAnswer> {
    return this.#link.request({ op: "search", query, ...opts });
  }

  /** Older history of a channel: this device's sealed copy first, else the server's page decoded by the worker. */
  olderPage(channelId: string, before: number, limit: number): Promise<{ events: ReceivedEvent[]; hasMore: boolean }> {
    return this.#link.request({ op: "older", channelId, before, limit });
  }

  /**
   * Encrypt and upload a file in the worker. A stream is pulled across chunk by
   * chunk (a progress-counting or cancellable stream keeps working on the page);
   * bytes are copied once and the copy's buffer transferred.
   */
  sendFile(
    channelId: string,
    data: Uint8Array | ReadableStream<Uint8Array>,
    opts: Parameters<ParleyClient["sendFile"]>[2],
  ): ReturnType<ParleyClient["sendFile"]> {
    if (data instanceof Uint8Array) {
      const copy = data.slice();
      return this.#link.request({ op: "sendFile", channelId, data: copy, opts }, [copy.buffer]);
    }
    const { wire, transfer } = toWire(data);
    return this.#link.request({ op: "sendFile", channelId, data: wire, opts }, transfer);
  }

  /** Download and decrypt a file in the worker; the stream errors (E2eeError `attachment_*`) as the SDK's does. */
  async downloadFile(file: FileDescriptor): Promise<ReadableStream<Uint8Array>> {
    return fromWire(await this.#link.request<WireStream>({ op: "downloadFile", file }));
  }

  /** A user's profile picture (fetched with the session by the worker), or null when they have none. */
  avatar(userId: string): Promise<AvatarImage | null> {
    return this.#link.request({ op: "avatar", userId });
  }

  /** A custom emoji's image (fetched with the session by the worker), or null when the org has no such emoji. */
  emojiImage(name: string): Promise<AvatarImage | null> {
    return this.#link.request({ op: "emojiImage", name });
  }

  /** The personal store (saved messages, drafts, synced settings), sealed in the worker: sync and read, or change and read. */
  personal(action: PersonalAction, ...args: unknown[]): Promise<PersonalSnapshot> {
    return this.#link.request({ op: "personal", action, args });
  }

  /** The user's reminders, their notes opened in the worker: pending and fired ones, soonest first. */
  reminders(action: "list"): Promise<ReminderView[]>;
  /** Set a reminder (its text and target sealed in the worker). */
  reminders(action: "create", r: NewReminder): Promise<ReminderView>;
  /** Move a reminder to another time. */
  reminders(action: "snooze", id: string, dueAt: number): Promise<ReminderView>;
  /** Cancel or dismiss a reminder, with its note. */
  reminders(action: "dismiss", id: string): Promise<void>;
  reminders(action: "list" | "create" | "snooze" | "dismiss", ...args: unknown[]): Promise<unknown> {
    return this.#link.request({ op: "reminders", action, args });
  }

  /** A data-subject export ZIP made by the server: the user's own, or (officers) the user `userId`'s. */
  dataExport(userId?: string): Promise<DataExport> {
    return this.#link.request({ op: "dataExport", ...(userId === undefined ? {} : { userId }) });
  }

  /**
   * The user's own export with this device's decrypted history added (`messages/…`, read and zipped
   * in the worker). `onProgress` hears after each page; aborting `signal` stops the worker's export
   * and rejects at once with an AbortError.
   */
  dataExportWithHistory(opts: { onProgress?: (p: HistoryExportProgress) => void; signal?: AbortSignal } = {}): Promise<DataExport> {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = (m: MessageEvent<HistoryExportProgress>) => opts.onProgress?.(m.data);
    const { signal } = opts;
    let cancel: () => void = () => undefined;
    const cancelled = new Promise<never>((_, reject) => {
      cancel = () => {
        port1.postMessage("cancel");
        reject(new DOMException("The export was cancelled", "AbortError"));
      };
    });
    // The port stays open until the worker answers, so the "cancel" reaches it.
    const done = this.#link.request<DataExport>({ op: "dataExport", history: port2 }, [port2]).finally(() => {
      signal?.removeEventListener("abort", cancel);
      port1.close();
    });
    if (signal?.aborted) cancel();
    else signal?.addEventListener("abort", cancel, { once: true });
    return Promise.race([done, cancelled]);
  }

  /** Disconnect and stop the worker (unsent messages stay in its outbox for the next run). */
  async close(): Promise<void> {
    try {
      await this.#link.request({ op: "close" });
    } finally {
      this.#link.terminate();
    }
  }

  /** End the session (on the server too when `logout`), wipe this device's local data and stop the worker. */
  async signOut(logout: boolean): Promise<void> {
    try {
      await this.#link.request({ op: "signOut", logout });
    } finally {
      this.#link.terminate();
    }
  }

  /** Stop the worker at once, without a goodbye (another tab took over this device). */
  terminate(): void {
    this.#link.terminate();
  }

  #call<M extends ClientMethod>(method: M, args: unknown[]): Result<M> {
    return this.#watch(this.#link.request({ op: "call", method, args }));
  }

  // The org began to require MFA of this session (mfa_enrollment_required): the app's listener of "error"
  // (ChatStore) shows the enrolment screen, whichever call found out. The caller still gets the error.
  #watch<T>(p: Promise<T>): Promise<T> {
    return p.catch((err: unknown) => {
      if (isParleyError(err, "mfa_enrollment_required")) this.emit("error", err);
      throw err;
    });
  }

  #onPush(m: WorkerPush): void {
    if (m.t === "state") {
      this.#pendingSends = m.pendingSends;
      this.#session = m.session;
      for (const fn of this.#stateListeners) fn();
      return;
    }
    if (m.t === "call" || m.t === "callKeys" || m.t === "callSfu") return this.calls.receive(m);
    if (m.t !== "events") return; // a sign-in's question (session.ts answers those before the client exists)
    for (const [name, payload] of m.batch) {
      if (name === "sessionEnded" || name === "error") {
        this.emit(name, deserializeError(payload as SerializedError) as ClientEvents["sessionEnded"]);
      } else if (name === "sendFailed") {
        const f = payload as { entry: ClientEvents["sendFailed"]["entry"]; error: SerializedError };
        this.emit("sendFailed", { entry: f.entry, error: deserializeError(f.error) as ClientEvents["sendFailed"]["error"] });
      } else {
        this.emit(name, payload as never);
        // The SDK also emits each event under its kind ("message", "reaction"…).
        if (name === "event") this.emit((payload as ReceivedEvent).kind, payload as ReceivedEvent);
      }
    }
  }
}
