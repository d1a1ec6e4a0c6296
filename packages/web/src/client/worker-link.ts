/**
 * The page's end of the client worker: starts it, sends commands with ids
 * and resolves each with its reply, and hands streamed pushes (event batches,
 * state) to one listener. A worker that fails or is terminated rejects what
 * is still pending.
 */
import { deserializeError } from "../worker/errors.ts";
import type { CommandBody, WorkerMessage, WorkerPush } from "../worker/protocol.ts";

/** One running client worker. */
export class WorkerLink {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  #dead: Error | undefined;
  #unlisten: () => void = () => undefined;
  /** Receives event batches and state changes, in order. */
  onPush: (m: WorkerPush) => void = () => undefined;

  constructor() {
    // The literal `new Worker(new URL(...), { type: "module" })` is what Vite bundles as a worker chunk.
    this.#worker = new Worker(new URL("../worker/client-worker.ts", import.meta.url), { type: "module", name: "parley-client" });
    this.#worker.onmessage = (ev: MessageEvent<WorkerMessage>) => {
      const m = ev.data;
      if (m.t !== "reply") return this.onPush(m);
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(deserializeError(m.error));
    };
    // Forward the page's network signal: the SDK drops or reconnects the socket on it (see client-worker.ts).
    const network = (ev: Event) => this.#worker.postMessage({ t: "network", online: ev.type === "online" });
    addEventListener("online", network);
    addEventListener("offline", network);
    this.#unlisten = () => {
      removeEventListener("online", network);
      removeEventListener("offline", network);
    };
    this.#worker.onerror = (ev) => {
      ev.preventDefault();
      this.#fail(new Error(`the client worker failed: ${ev.message || "could not load"}`));
    };
  }

  /** Send a command; resolves with the worker's reply value. */
  request<T>(body: CommandBody, transfer: Transferable[] = []): Promise<T> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ ...body, id }, transfer);
    });
  }

  /** Stop the worker at once (whatever it is doing) and reject pending commands. */
  terminate(): void {
    this.#worker.terminate();
    this.#fail(new Error("the client worker was stopped"));
  }

  #fail(err: Error): void {
    this.#unlisten();
    this.#dead ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
