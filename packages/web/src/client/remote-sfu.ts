/**
 * The page's `client.calls.sfu`: a group call's media negotiation through the server and the SFU
 * (the SDK's CallSfuApi of the worker's client), with the same methods (each a command to the
 * worker) and events (`feeds`, `reconnect`, pushed by the worker as they happen).
 */
import { Emitter, type CallSfuApi, type CallSfuEvents } from "@parley/sdk";
import type { CallSfuEventName, CallSfuMethod, CommandBody } from "../worker/protocol.ts";

/** What RemoteSfu needs of the worker link. */
interface SfuLink {
  request<T>(body: CommandBody): Promise<T>;
}

type Method<M extends CallSfuMethod> = CallSfuApi[M];

/** `client.calls.sfu` of the client in the worker, seen from the page. */
export class RemoteSfu extends Emitter<CallSfuEvents> {
  readonly #link: SfuLink;

  constructor(link: SfuLink) {
    super();
    this.#link = link;
  }

  publish(...a: Parameters<Method<"publish">>): ReturnType<Method<"publish">> {
    return this.#run("publish", a);
  }
  renegotiate(...a: Parameters<Method<"renegotiate">>): ReturnType<Method<"renegotiate">> {
    return this.#run("renegotiate", a);
  }
  subscribe(...a: Parameters<Method<"subscribe">>): ReturnType<Method<"subscribe">> {
    return this.#run("subscribe", a);
  }
  start(...a: Parameters<Method<"start">>): ReturnType<Method<"start">> {
    return this.#run("start", a);
  }
  restart(...a: Parameters<Method<"restart">>): ReturnType<Method<"restart">> {
    return this.#run("restart", a);
  }
  trickle(...a: Parameters<Method<"trickle">>): ReturnType<Method<"trickle">> {
    return this.#run("trickle", a);
  }
  configure(...a: Parameters<Method<"configure">>): ReturnType<Method<"configure">> {
    return this.#run("configure", a);
  }
  leave(...a: Parameters<Method<"leave">>): ReturnType<Method<"leave">> {
    return this.#run("leave", a);
  }

  /** A push from the worker: an SFU event. */
  receive(m: { t: "callSfu"; event: CallSfuEventName; payload: unknown }): void {
    this.emit(m.event, m.payload as never);
  }

  #run<M extends CallSfuMethod>(method: M, args: unknown[]): ReturnType<Method<M>> {
    return this.#link.request({ op: "callSfu", method, args }) as ReturnType<Method<M>>;
  }
}
