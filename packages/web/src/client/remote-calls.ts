/**
 * The page's `client.calls`: the SDK's CallsApi of the worker's client, with the same methods
 * (each a command to the worker) and events (pushed by the worker as they happen), plus the
 * channel's SFrame call keys for the media worker, followed across MLS epochs (worker/call-relay.ts).
 */
import { Emitter, type CallEvents, type CallsApi } from "@parley/sdk";
import type { CallEventName, CallMethod, CallSfuEventName, CommandBody, PageCallKeys } from "../worker/protocol.ts";
import { RemoteSfu } from "./remote-sfu.ts";

type Method<M extends CallMethod> = CallsApi[M];

/** Listener of a channel's call keys: a new epoch's keys, or null when this device left the group. */
export type CallKeysListener = (keys: PageCallKeys | null) => void;

/** What RemoteCalls needs of the worker link. */
export interface CallsLink {
  request<T>(body: CommandBody): Promise<T>;
}

/** `client.calls` of the client in the worker, seen from the page. */
export class RemoteCalls extends Emitter<CallEvents> {
  readonly #link: CallsLink;
  readonly #keyListeners = new Map<string, Set<CallKeysListener>>();
  /** Group calls' media through the server and the SFU (`client.calls.sfu`). */
  readonly sfu: RemoteSfu;

  constructor(link: CallsLink) {
    super();
    this.#link = link;
    this.sfu = new RemoteSfu(link);
  }

  start(...a: Parameters<Method<"start">>): ReturnType<Method<"start">> {
    return this.#run("start", a);
  }
  accept(...a: Parameters<Method<"accept">>): ReturnType<Method<"accept">> {
    return this.#run("accept", a);
  }
  decline(...a: Parameters<Method<"decline">>): ReturnType<Method<"decline">> {
    return this.#run("decline", a);
  }
  cancel(...a: Parameters<Method<"cancel">>): ReturnType<Method<"cancel">> {
    return this.#run("cancel", a);
  }
  join(...a: Parameters<Method<"join">>): ReturnType<Method<"join">> {
    return this.#run("join", a);
  }
  leave(...a: Parameters<Method<"leave">>): ReturnType<Method<"leave">> {
    return this.#run("leave", a);
  }
  setMedia(...a: Parameters<Method<"setMedia">>): ReturnType<Method<"setMedia">> {
    return this.#run("setMedia", a);
  }
  raiseHand(...a: Parameters<Method<"raiseHand">>): ReturnType<Method<"raiseHand">> {
    return this.#run("raiseHand", a);
  }
  record(...a: Parameters<Method<"record">>): ReturnType<Method<"record">> {
    return this.#run("record", a);
  }
  signal(...a: Parameters<Method<"signal">>): ReturnType<Method<"signal">> {
    return this.#run("signal", a);
  }
  list(...a: Parameters<Method<"list">>): ReturnType<Method<"list">> {
    return this.#run("list", a);
  }
  postEvent(...a: Parameters<Method<"postEvent">>): ReturnType<Method<"postEvent">> {
    return this.#run("postEvent", a);
  }

  /**
   * Follow a channel's call keys: `listener` hears the current keys (null without an active group)
   * and then each new epoch's, until the returned function is called.
   */
  followKeys(channelId: string, listener: CallKeysListener): () => void {
    let set = this.#keyListeners.get(channelId);
    if (!set) this.#keyListeners.set(channelId, (set = new Set()));
    set.add(listener);
    let stopped = false;
    void this.#link.request<PageCallKeys | null>({ op: "callKeys", channelId, follow: true }).then(
      (keys) => !stopped && listener(keys),
      () => !stopped && listener(null),
    );
    return () => {
      stopped = true;
      set.delete(listener);
      if (set.size) return;
      this.#keyListeners.delete(channelId);
      void this.#link.request({ op: "callKeys", channelId, follow: false }).catch(() => undefined);
    };
  }

  /** A push from the worker: a calls event, an SFU event, or a followed channel's new keys. */
  receive(
    m:
      | { t: "call"; event: CallEventName; payload: unknown }
      | { t: "callSfu"; event: CallSfuEventName; payload: unknown }
      | { t: "callKeys"; channelId: string; keys: PageCallKeys | null },
  ): void {
    if (m.t === "call") return this.emit(m.event, m.payload as never);
    if (m.t === "callSfu") return this.sfu.receive(m);
    for (const l of this.#keyListeners.get(m.channelId) ?? []) l(m.keys);
  }

  #run<M extends CallMethod>(method: M, args: unknown[]): ReturnType<Method<M>> {
    return this.#link.request({ op: "calls", method, args }) as ReturnType<Method<M>>;
  }
}
