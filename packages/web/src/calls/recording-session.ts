// This device's recording of its call (docs/calls.md, "Recording"): the server is told first
// (`client.calls.record`: it refuses where the org does not allow recording, and tells every
// participant who records), then the device records; on stop — or when the call ends under it —
// the file is encrypted, uploaded and posted in the call's conversation like any attachment
// (chat/uploads.ts). Kept beside the call store, not in a component, so reading another
// conversation (picture-in-picture) does not end it.
import type { ChatStore } from "../client/chat-store.ts";
import { describeError } from "../client/session.ts";
import { startUploads } from "../chat/uploads.ts";
import type { ActiveCall, CallStore } from "./call-store.ts";
import { CallRecorder, recordingFileName } from "./recording-recorder.ts";

/** The recording in progress of one call store's call, if any, and the last error. */
export class RecordingSession {
  recorder: CallRecorder | undefined;
  error: string | undefined;
  /** True between Record and the server's answer, and while a stop is being saved. */
  busy = false;
  version = 0;
  readonly #calls: CallStore;
  readonly #listeners = new Set<() => void>();
  #call: ActiveCall | undefined;
  #off: (() => void) | undefined;

  private constructor(calls: CallStore) {
    this.#calls = calls;
  }

  static #byStore = new WeakMap<CallStore, RecordingSession>();

  /** The session of a call store (one per signed-in session). */
  static of(calls: CallStore): RecordingSession {
    let s = RecordingSession.#byStore.get(calls);
    if (!s) RecordingSession.#byStore.set(calls, (s = new RecordingSession(calls)));
    return s;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  };
  getVersion = (): number => this.version;

  /** Whether this device records the call shown now. */
  recordingCall(a: ActiveCall | undefined): boolean {
    return !!this.recorder && !!a && this.#call === a;
  }

  /** Tell the call, then record; a refusal (the org does not allow it) records nothing. */
  async start(chat: ChatStore): Promise<void> {
    const a = this.#calls.active;
    if (!a?.callId || this.recorder || this.busy) return;
    const callId = a.callId;
    this.#set({ busy: true, error: undefined });
    try {
      await this.#calls.host.client.calls.record(callId, true);
    } catch (err) {
      return this.#set({ busy: false, error: `Recording did not start: ${describeError(err)}` });
    }
    try {
      if (this.#calls.active !== a) return;
      this.recorder = CallRecorder.start(a.media, { of: (id) => chat.userName(id), me: chat.me.id });
      this.#call = a;
      // The call ending (hang up, the peer leaving, an admin) ends the recording and saves it; so
      // does an admin turning recording off. The server then says this device no longer records:
      // a state without the flag makes the device ask for the policy (a state sent before the start
      // may arrive after it, so the flag alone does not stop).
      const deviceId = this.#calls.host.client.session?.deviceId;
      let flagged = true;
      this.#off = this.#calls.subscribe(() => {
        if (this.#calls.active !== a) return void this.stop(chat);
        const flag = a.call?.participants.find((p) => p.deviceId === deviceId)?.recording ?? false;
        if (flag === flagged) return;
        flagged = flag;
        if (!flag) void this.#stopIfNotAllowed(chat, a);
      });
    } catch (err) {
      // The server was told; the browser could not record after all: take it back.
      this.error = `Recording did not start: ${describeError(err)}`;
      void this.#calls.host.client.calls.record(callId, false).catch(() => undefined);
    } finally {
      this.#set({ busy: false });
    }
  }

  async #stopIfNotAllowed(chat: ChatStore, a: ActiveCall): Promise<void> {
    const policy = await this.#calls.host.client.api.call("getCallPolicy").catch(() => undefined);
    if (policy?.recordingAllowed !== false || this.#call !== a) return;
    this.error = "Recording stopped: your organization no longer allows recording calls. What was recorded is posted in the conversation.";
    await this.stop(chat);
  }

  /** Stop recording, tell the call, and post the file in the call's conversation, encrypted. */
  async stop(chat: ChatStore): Promise<void> {
    const recorder = this.recorder;
    const a = this.#call;
    if (!recorder || !a) return;
    this.#off?.();
    this.#off = undefined;
    this.recorder = undefined;
    this.#call = undefined;
    this.#set({ busy: true });
    // A call that already ended has no recorder any more on the server: nothing to tell.
    if (a.callId && this.#calls.active === a) void this.#calls.host.client.calls.record(a.callId, false).catch(() => undefined);
    try {
      const blob = await recorder.stop();
      const file = new File([blob], recordingFileName(recorder.startedAt, recorder.mimeType), { type: recorder.mimeType });
      startUploads(chat, a.channelId, [file]);
    } catch (err) {
      this.error = `The recording could not be saved: ${describeError(err)}`;
    } finally {
      this.#set({ busy: false });
    }
  }

  #set(p: Partial<Pick<RecordingSession, "busy" | "error">>): void {
    Object.assign(this, p);
    this.version++;
    for (const fn of this.#listeners) fn();
  }
}
