/**
 * Rate limiting seam (rate-limiter-flexible). In-memory on one node; the
 * scale-out work swaps in the Redis limiter behind the same interface.
 */
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../../core/errors.ts";

/** A limiter said no; `first` is set on the first refusal of the key's window (the moment it locked). */
export class LimitExceeded extends AppError {
  readonly first: boolean;
  constructor(code: "rate_limited" | "login_throttled", message: string, retryAfterSeconds: number, first: boolean) {
    super(code, message, { retryAfterSeconds }, retryAfterSeconds);
    this.first = first;
  }
}

export interface Limiter {
  /** Consume `points` for `key`; throws LimitExceeded (an AppError with retryAfter) when exhausted. */
  consume(key: string, points?: number): Promise<void>;
  /** Forget a key (e.g. successful login resets failures). */
  reset(key: string): Promise<void>;
  /** Give back points consumed for an attempt that turned out fine. */
  refund(key: string, points?: number): Promise<void>;
  /** Whether `key` is currently blocked, without consuming. */
  blocked(key: string): Promise<number>;
}

function memoryLimiter(opts: { points: number; durationSeconds: number; code: "rate_limited" | "login_throttled"; message: string }): Limiter {
  const rl = new RateLimiterMemory({ points: opts.points, duration: opts.durationSeconds });
  return {
    async consume(key, points = 1) {
      try {
        await rl.consume(key, points);
      } catch (e) {
        if (e instanceof RateLimiterRes) {
          const retry = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
          // Points consumed before this call were still within the allowance: this refusal locked the key.
          const first = e.consumedPoints - points <= opts.points;
          throw new LimitExceeded(opts.code, `${opts.message}; retry in ${retry}s`, retry, first);
        }
        throw e;
      }
    },
    async reset(key) {
      await rl.delete(key);
    },
    async refund(key, points = 1) {
      await rl.reward(key, points);
    },
    async blocked(key) {
      const r = await rl.get(key);
      return r && r.remainingPoints <= 0 ? Math.max(1, Math.ceil(r.msBeforeNext / 1000)) : 0;
    },
  };
}

/** The limiters the server uses. */
export interface Limits {
  ip: Limiter;
  user: Limiter;
  /** Failed logins per org+username. */
  loginAccount: Limiter;
  /** Failed logins per client address. */
  loginIp: Limiter;
  /** Password-reset requests per org+login (emails sent to one account). */
  resetAccount: Limiter;
  /** Password-reset requests, and reset/verification links tried, per client address. */
  resetIp: Limiter;
  /** Second-factor codes tried per user (sign-in, enrolment, changes). */
  mfa: Limiter;
}

export function createLimits(cfg: { rateLimitIp: number; rateLimitUser: number; loginAttempts: number }): Limits {
  return {
    ip: memoryLimiter({ points: cfg.rateLimitIp, durationSeconds: 60, code: "rate_limited", message: "too many requests from this address" }),
    user: memoryLimiter({ points: cfg.rateLimitUser, durationSeconds: 60, code: "rate_limited", message: "too many requests from this account" }),
    loginAccount: memoryLimiter({
      points: cfg.loginAttempts,
      durationSeconds: 15 * 60,
      code: "login_throttled",
      message: "too many failed sign-ins for this account",
    }),
    loginIp: memoryLimiter({
      points: cfg.loginAttempts * 5,
      durationSeconds: 15 * 60,
      code: "login_throttled",
      message: "too many failed sign-ins from this address",
    }),
    resetAccount: memoryLimiter({ points: 5, durationSeconds: 60 * 60, code: "rate_limited", message: "too many password-reset emails for this account" }),
    mfa: memoryLimiter({
      points: 10,
      durationSeconds: 15 * 60,
      code: "login_throttled",
      message: "too many wrong authenticator or recovery codes for this account",
    }),
    resetIp: memoryLimiter({ points: 30, durationSeconds: 60 * 60, code: "rate_limited", message: "too many password-reset attempts from this address" }),
  };
}
