/**
 * The realtime connection to the gateway at /api/v1/ws: `hello` with the
 * sync cursors, then frames; reconnect with exponential backoff and jitter;
 * an app-level ping to notice dead links that TCP would only notice minutes
 * later. Uses the global WebSocket (browsers, Node 22+).
 */
import { CLOSE_CODES, ServerFrame, WS_PATH, type ClientFrameInput, type Cursors, type ServerFrameOf } from "@parley/protocol";
import { backoffDelay, type BackoffOptions } from "./backoff.ts";
import { errorFromBody, ParleyError } from "./errors.ts";

/**
 * Where the connection is:
 * - `connecting`: opening the socket / authenticating;
 * - `syncing`: authenticated, replaying what was missed;
 * - `live`: replay done, frames are live;
 * - `offline`: disconnected, a reconnect is scheduled;
 * - `revoked`: the server ended this session or device (close 4403, or 4401 and refresh failed) — sign in again;
 * - `closed`: stopped by the app.
 */
export type ConnectionState = "connecting" | "syncing" | "live" | "offline" | "revoked" | "closed";

/** Payload of a state change. */
export interface ConnectionChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Why the link went down (close code and reason), when it did. */
  closeCode?: number;
  reason?: string;
  /** Delay before the next attempt, when one is scheduled. */
  retryInMs?: number;
}

/** Options of {@link Connection}. */
export interface ConnectionOptions {
  /** Server origin (http/https); the WebSocket URL is derived from it. */
  baseUrl: string;
  /** Current access token (refreshed as needed); undefined means signed out. */
  accessToken(): Promise<string | undefined>;
  /** Called after a 4401 close: true if a new token is available. */
  onUnauthorized(failedToken: string): Promise<boolean>;
  /** Cursors to send in `hello`. */
  cursors(): Cursors;
  /** Every server frame except `pong`, `ack` and `error` frames that answer a request. */
  onFrame(frame: ServerFrame): void;
  /** State changes. */
  onState(change: ConnectionChange): void;
  /** Reconnect backoff. */
  backoff?: BackoffOptions;
  /** Validate every server frame with the protocol schema (default true). */
  validateFrames?: boolean;
  /** Give up on a request (send) without ack after this long, ms (default 15 000). */
  requestTimeoutMs?: number;
  /** WebSocket constructor (defaults to the global one). */
  WebSocket?: typeof WebSocket;
}

type AckFrame = ServerFrameOf<"ack">;

type CallAckFrame = ServerFrameOf<"call.ack">;
/** A call request (issue 14): a `call.*` frame, answered by `call.ack`. */
export type CallRequestFrame = WithoutRef<Extract<ClientFrameInput, { t: `call.${string}` }>>;
type WithoutRef<F> = F extends unknown ? Omit<F, "ref"> : never;

interface Pending {
  resolve(f: AckFrame | CallAckFrame): void;
  reject(e: ParleyError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** The global event target carrying `online`/`offline` (browsers and their workers; none in Node). */
function networkEvents(): EventTarget | undefined {
  const g = globalThis as Partial<EventTarget> & { navigator?: { onLine?: boolean } };
  return typeof g.addEventListener === "function" && typeof g.navigator?.onLine === "boolean" ? (g as EventTarget) : undefined;
}

/** One logical connection that survives socket drops by reconnecting. */
export class Connection {
  #state: ConnectionState = "offline";
  #ws: WebSocket | undefined;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  /**
   * Gives up on a socket that got no `ready` in time. Cleared once it is ready, closes or is
   * dropped: left running after stop() it held a Node process open for up to 15 s.
   */
  #helloTimer: ReturnType<typeof setTimeout> | undefined;
  #lastFrameAt = 0;
  #refSeq = 0;
  #stopped = true;
  /** The sends waiting for a token, in order (#pace). */
  #paceQueue: Promise<void> = Promise.resolve();
  /** Token bucket pacing `send` frames to the server's allowance (ready.framesPerSecond, burst 4x). */
  #rate = 50;
  #tokens = 100;
  #refillAt = Date.now();
  readonly #pending = new Map<string, Pending>();
  readonly #o: ConnectionOptions;

  constructor(opts: ConnectionOptions) {
    this.#o = opts;
  }

  /** Current state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Open the connection (and keep it open until {@link stop}). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#attempt = 0;
    networkEvents()?.addEventListener("offline", this.#onNetwork);
    networkEvents()?.addEventListener("online", this.#onNetwork);
    void this.#open();
  }

  /** Close for good; pending requests fail with `closed`. */
  stop(): void {
    this.#stopped = true;
    networkEvents()?.removeEventListener("offline", this.#onNetwork);
    networkEvents()?.removeEventListener("online", this.#onNetwork);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#drop(CLOSE_CODES.normal, "client closed");
    this.#setState({ state: "closed" });
  }

  /**
   * The browser's network signal (window or worker `offline`/`online` events):
   * a socket can stay "open" for a ping timeout after the network is gone, and a
   * backoff wait can run for seconds after it is back, so act on the signal at once.
   */
  readonly #onNetwork = (e: Event): void => {
    if (e.type === "online") return this.reconnectNow();
    if (this.#ws) this.#drop(4000, "network offline", true);
  };

  /** Reconnect now (e.g. the network came back), skipping the backoff wait. */
  reconnectNow(): void {
    if (this.#stopped || this.#state === "revoked") return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (!this.#ws) void this.#open();
  }

  /** Send a fire-and-forget frame; false when not connected. */
  send(frame: ClientFrameInput): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== 1 || (this.#state !== "live" && this.#state !== "syncing")) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  /**
   * Wait for a token of the send allowance, so a burst never trips the server's frame limit (4429).
   * First come, first served: sends leave in the order they asked (the outbox hands over a channel's
   * sends in MLS generation order, and receivers keep only a few keys for generations that come late).
   */
  #pace(): Promise<void> {
    const turn = this.#paceQueue.then(() => this.#takeToken());
    this.#paceQueue = turn;
    return turn;
  }

  async #takeToken(): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.#tokens = Math.min(this.#rate * 2, this.#tokens + ((now - this.#refillAt) / 1000) * this.#rate);
      this.#refillAt = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil(((1 - this.#tokens) / this.#rate) * 1000)));
    }
  }

  /** Send a `send` frame and wait for its `ack` (or `error`, timeout, disconnect — all as {@link ParleyError}). */
  request(frame: Omit<Extract<ClientFrameInput, { t: "send" }>, "ref">): Promise<AckFrame> {
    return this.#ask(frame) as Promise<AckFrame>;
  }

  /** Send a `call.*` frame and wait for its `call.ack` (errors as in {@link request}). */
  callRequest(frame: CallRequestFrame): Promise<CallAckFrame> {
    return this.#ask(frame) as Promise<CallAckFrame>;
  }

  async #ask(frame: Omit<Extract<ClientFrameInput, { t: "send" }>, "ref"> | CallRequestFrame): Promise<AckFrame | CallAckFrame> {
    await this.#pace();
    const ref = `r${++this.#refSeq}`;
    return new Promise<AckFrame | CallAckFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(ref);
        reject(new ParleyError({ code: "timeout", message: "no ack from the server in time" }));
      }, this.#o.requestTimeoutMs ?? 15_000);
      this.#pending.set(ref, { resolve, reject, timer });
      if (!this.send({ ...frame, ref } as ClientFrameInput)) {
        clearTimeout(timer);
        this.#pending.delete(ref);
        reject(new ParleyError({ code: "network", message: "not connected" }));
      }
    });
  }

  #setState(change: Omit<ConnectionChange, "previous">): void {
    const previous = this.#state;
    if (previous === change.state && change.state !== "offline") return;
    this.#state = change.state;
    this.#o.onState({ ...change, previous });
  }

  #wsUrl(): string {
    const u = new URL(WS_PATH, this.#o.baseUrl);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    return u.toString();
  }

  async #open(): Promise<void> {
    if (this.#stopped) return;
    this.#setState({ state: "connecting" });
    let token: string | undefined;
    try {
      token = await this.#o.accessToken();
    } catch (err) {
      return this.#closed(0, `token unavailable: ${(err as Error).message}`, undefined);
    }
    if (this.#stopped) return;
    if (!token) return this.#setState({ state: "revoked", reason: "signed out" });
    const Ws = this.#o.WebSocket ?? WebSocket;
    let ws: WebSocket;
    try {
      ws = new Ws(this.#wsUrl());
    } catch (err) {
      return this.#closed(0, (err as Error).message, token);
    }
    this.#ws = ws;
    this.#lastFrameAt = Date.now();
    this.#clearHello();
    this.#helloTimer = setTimeout(() => {
      if (this.#ws === ws && this.#state === "connecting") this.#drop(4000, "no ready in time", true, token);
    }, 15_000);
    ws.onopen = () => {
      ws.send(JSON.stringify({ t: "hello", token, cursors: this.#o.cursors() } satisfies ClientFrameInput));
    };
    ws.onmessage = (msg: MessageEvent) => {
      if (this.#ws !== ws) return;
      this.#lastFrameAt = Date.now();
      if (typeof msg.data !== "string") return;
      let frame: ServerFrame;
      try {
        const raw: unknown = JSON.parse(msg.data);
        frame = this.#o.validateFrames === false ? (raw as ServerFrame) : ServerFrame.parse(raw);
      } catch {
        return; // a frame from a newer server we do not understand: ignore rather than drop the link
      }
      if (frame.t === "ready") {
        this.#clearHello();
        this.#attempt = 0;
        // Use half the burst and 80% of the rate for sends: typing, read and ping frames need room too.
        this.#rate = Math.max(1, (frame.framesPerSecond ?? 50) * 0.8);
        this.#tokens = Math.min(this.#tokens, this.#rate * 2);
        this.#startPing(frame.heartbeatMs);
        this.#setState({ state: "syncing" });
      } else if (frame.t === "synced") {
        this.#setState({ state: "live" });
      } else if (frame.t === "pong") {
        return;
      } else if (frame.t === "ack" || frame.t === "call.ack" || (frame.t === "error" && frame.ref)) {
        const p = this.#pending.get(frame.ref!);
        if (p) {
          this.#pending.delete(frame.ref!);
          clearTimeout(p.timer);
          if (frame.t === "error") p.reject(errorFromBody(0, frame));
          else p.resolve(frame);
        }
        if (frame.t !== "ack") return;
      }
      this.#o.onFrame(frame);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.#ws !== ws) return;
      this.#clearHello();
      this.#ws = undefined;
      this.#closed(ev.code, ev.reason, token);
    };
    ws.onerror = () => {
      /* a close event always follows */
    };
  }

  #startPing(heartbeatMs: number): void {
    this.#stopPing();
    const every = Math.max(1_000, heartbeatMs || 25_000);
    this.#pingTimer = setInterval(() => {
      const ws = this.#ws;
      if (!ws) return;
      // Nothing (not even a pong) for two intervals: the link is dead even if the OS has not noticed.
      if (Date.now() - this.#lastFrameAt > every * 2 + 1_000) return this.#drop(4000, "ping timeout", true);
      if (ws.readyState === 1) ws.send(JSON.stringify({ t: "ping" } satisfies ClientFrameInput));
    }, every);
    (this.#pingTimer as { unref?: () => void }).unref?.();
  }

  #clearHello(): void {
    if (this.#helloTimer) clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
  }

  #stopPing(): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  /** Close the current socket ourselves; with `reconnect`, treat it like a dropped link. */
  #drop(code: number, reason: string, reconnect = false, token?: string): void {
    const ws = this.#ws;
    this.#ws = undefined;
    this.#stopPing();
    this.#clearHello();
    if (ws) {
      ws.onmessage = null;
      ws.onclose = null;
      try {
        ws.close(code, reason);
      } catch {
        /* already closing */
      }
    }
    this.#failPending(reason);
    if (reconnect) this.#closed(code, reason, token);
  }

  #failPending(reason: string): void {
    for (const [ref, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new ParleyError({ code: "network", message: `connection lost: ${reason}` }));
      this.#pending.delete(ref);
    }
  }

  #closed(code: number, reason: string, token: string | undefined): void {
    this.#stopPing();
    this.#failPending(reason || `closed (${code})`);
    if (this.#stopped) return;
    if (code === CLOSE_CODES.revoked) return this.#setState({ state: "revoked", closeCode: code, reason: reason || "session revoked" });
    if (code === CLOSE_CODES.unauthorized && token) {
      // The token may just have expired: reconnect only if a refresh gives us a new one.
      this.#setState({ state: "offline", closeCode: code, reason });
      void this.#o.onUnauthorized(token).then(
        (ok) => (ok ? this.#schedule(code, reason) : this.#setState({ state: "revoked", closeCode: code, reason: "session ended" })),
        () => this.#schedule(code, reason),
      );
      return;
    }
    this.#schedule(code, reason);
  }

  #schedule(code: number, reason: string): void {
    if (this.#stopped) return;
    // A restarting server (1012) is expected back soon: keep the first retry short.
    const delay = backoffDelay(code === CLOSE_CODES.serviceRestart ? Math.max(0, this.#attempt - 1) : this.#attempt, this.#o.backoff);
    this.#attempt++;
    this.#setState({ state: "offline", closeCode: code, reason, retryInMs: delay });
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#open();
    }, delay);
  }
}
