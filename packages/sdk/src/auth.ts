/**
 * The signed-in session of one device: holds the access/refresh tokens,
 * refreshes before expiry and on demand (single-flight, so concurrent calls
 * that all see an expired token cause one refresh), and persists every
 * rotated refresh token through the local store — a refresh token is single
 * use, and reusing an old one revokes the whole family.
 */
import type { AuthTokens } from "@parley/protocol";
import { createApi, type Api, type TokenSource } from "./http.ts";
import { isParleyError, type ParleyError } from "./errors.ts";
import type { LocalStore, StoredSession } from "./store.ts";

/** Build the stored form of tokens returned by login/setup/refresh. */
export function sessionFromTokens(baseUrl: string, t: AuthTokens, now = Date.now()): StoredSession {
  return {
    baseUrl,
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    accessExpiresAt: now + t.expiresIn * 1000,
    userId: t.user.id,
    username: t.user.username,
    orgId: t.org.id,
    orgSlug: t.org.slug,
    deviceId: t.deviceId,
    sessionId: t.sessionId,
  };
}

/** Options of {@link AuthSession}. */
export interface AuthSessionOptions {
  store: LocalStore;
  session: StoredSession;
  /** Called with every new session (after each refresh) and with undefined when it ends. */
  onChange?: (session: StoredSession | undefined) => void | Promise<void>;
  /** The server ended the session (refresh token invalid/reused, user deactivated). */
  onEnded?: (err: ParleyError) => void;
  /** Refresh this long before the access token expires (default 60 s, capped at half its lifetime). */
  refreshSkewMs?: number;
  fetch?: typeof fetch;
}

const ENDING_CODES = new Set(["refresh_token_invalid", "refresh_token_reused", "user_deactivated", "unauthorized", "validation_failed"]);

/** Token lifecycle of a signed-in device. Implements the HTTP transport's {@link TokenSource}. */
export class AuthSession implements TokenSource {
  #session: StoredSession | undefined;
  #refreshing: Promise<boolean> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #o: AuthSessionOptions;
  readonly #api: Api;

  constructor(opts: AuthSessionOptions) {
    this.#o = opts;
    this.#session = opts.session;
    this.#api = createApi({ baseUrl: opts.session.baseUrl, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
    this.#schedule();
  }

  /** The current session, or undefined once it ended or after logout. */
  get session(): StoredSession | undefined {
    return this.#session;
  }

  /** A valid access token, refreshing first when it is (about to be) expired; undefined when signed out. */
  async accessToken(): Promise<string | undefined> {
    const s = this.#session;
    if (!s) return undefined;
    // The timer refreshes ahead of expiry; this only catches a token that is (nearly) dead, e.g. after sleep.
    if (s.accessExpiresAt - Date.now() > 5_000) return s.accessToken;
    try {
      await this.refresh();
    } catch (err) {
      // Network trouble: an access token that has not actually expired yet is still worth trying.
      if (s.accessExpiresAt > Date.now()) return s.accessToken;
      throw err;
    }
    return this.#session?.accessToken;
  }

  /** The server rejected `failedToken`; true if a newer token is now available. */
  async onUnauthorized(failedToken: string): Promise<boolean> {
    const s = this.#session;
    if (!s) return false;
    if (s.accessToken !== failedToken) return true; // someone refreshed meanwhile
    return this.refresh();
  }

  /**
   * Rotate the refresh token now. Single-flight: concurrent callers share one
   * request. Resolves false when the server ended the session; throws a
   * retryable {@link ParleyError} on network failure.
   */
  refresh(): Promise<boolean> {
    this.#refreshing ??= (async () => {
      const s = this.#session;
      if (!s) return false;
      try {
        const tokens = await this.#api.call("refresh", { body: { refreshToken: s.refreshToken } });
        // The old refresh token is dead from here on: persist the new one before anything else uses it.
        await this.#set(sessionFromTokens(s.baseUrl, tokens));
        return true;
      } catch (err) {
        if (isParleyError(err) && ENDING_CODES.has(err.code)) {
          await this.#set(undefined);
          this.#o.onEnded?.(err);
          return false;
        }
        throw err;
      }
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** Forget the session locally (after logout). */
  async clear(): Promise<void> {
    await this.#set(undefined);
  }

  /** Stop the refresh timer. */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #set(session: StoredSession | undefined): Promise<void> {
    this.#session = session;
    await this.#o.store.saveSession(session);
    await this.#o.store.flush();
    await this.#o.onChange?.(session);
    this.#schedule();
  }

  #skew(s: StoredSession): number {
    const lifetime = Math.max(0, s.accessExpiresAt - Date.now());
    return Math.min(this.#o.refreshSkewMs ?? 60_000, lifetime / 2);
  }

  #schedule(delayOverride?: number): void {
    this.close();
    const s = this.#session;
    if (!s) return;
    const delay = delayOverride ?? Math.max(0, s.accessExpiresAt - Date.now() - this.#skew(s));
    // Refresh ahead of expiry so live sockets and requests never carry a dead token.
    this.#timer = setTimeout(
      () => {
        this.refresh().catch(() => this.#schedule(5_000));
      },
      Math.min(delay, 2_147_000_000),
    );
    (this.#timer as { unref?: () => void }).unref?.();
  }
}
