/** Options of ParleyClient and the shape of what an app sends. */
import type { SendEvent } from "@parley/protocol";
import type { ContentCodec, MessageContent } from "./codec.ts";
import type { LocalStore, StoredSession } from "./store.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { E2eeOptions } from "./e2ee/engine.ts";
import type { CallEventOptions } from "./call-events.ts";

/** Options shared by every way of creating a client. */
export interface ClientOptions {
  /** Where sessions, cursors, events and the outbox live (default: a new MemoryStore). */
  store?: LocalStore;
  /**
   * Content codec. Default: MLS end-to-end encryption (`MlsCodec`), the
   * only mode for users. Passing another codec (the UNENCRYPTED `PlainCodec`)
   * turns E2EE off: for transport tests and benchmarks only.
   */
  codec?: ContentCodec;
  /** E2EE settings (key store, KeyPackage supply, join timing). */
  e2ee?: E2eeOptions;
  /** Called with every new session (each refresh rotates the refresh token) and undefined when it ends. */
  onSessionChange?: (session: StoredSession | undefined) => void | Promise<void>;
  /** Reconnect and resend backoff. */
  backoff?: BackoffOptions;
  /** Delay before filling a sequence hole over HTTP (default 250 ms). */
  gapFillDelayMs?: number;
  /** Validate server frames with the protocol schemas (default true). */
  validateFrames?: boolean;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  /** Post call events (started, ended, missed) under the shared rule of call-events.ts (default on; `false`: never). */
  callEvents?: CallEventOptions | false;
}

/** What an app sends: content plus the event's relations. */
export interface SendInput extends MessageContent {
  /** Event kind (default "message"). */
  kind?: SendEvent["kind"];
  /** Reply in the thread rooted at this seq. */
  threadRoot?: number | null;
  /** The event a reaction/edit/delete refers to. */
  target?: number | null;
  /** Explicit mentions (user ids); the server counts them, it cannot read the text. */
  mentions?: string[];
  /**
   * The idempotency key (default: a new random one). Give one when several devices may send the
   * same event and the channel must hold it once (a call's events): the server refuses another
   * user's send with a key already used in the channel (`already_exists`).
   */
  clientId?: string;
}
