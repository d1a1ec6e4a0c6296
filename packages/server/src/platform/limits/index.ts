/**
 * Rate limiting seam (rate-limiter-flexible). In-memory on one node by default;
 * with PARLEY_REDIS_URL the counters live in Redis, shared by every node, so a
 * login throttle or request limit hit through one node applies on all.
 *
 * Redis down: each node falls back to its own in-memory counters (the
 * library's insurance limiter) — limits keep applying, per node, instead of
 * failing open (no limit) or closed (nobody may sign in). /readyz reports it
 * (`checks.redis: false`) without failing readiness; the client reconnects by
 * itself and the shared counters are used again once Redis answers.
 */
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { AppError } from "../../core/errors.ts";

/** A limiter said no; `first` is set on the first refusal of the key's window (the moment it locked). */
export class LimitExceeded extends AppError {
  readonly first: boolean;
  constructor(code: "rate_limited" | "login_throttled" | "call_ring_throttled", message: string, retryAfterSeconds: number, first: boolean) {
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

interface LimiterOpts {
  points: number;
  durationSeconds: number;
  code: "rate_limited" | "login_throttled" | "call_ring_throttled";
  message: string;
}

function makeLimiter(name: string, opts: LimiterOpts, redis: Redis | undefined): Limiter {
  const memory = new RateLimiterMemory({ points: opts.points, duration: opts.durationSeconds });
  const rl: RateLimiterAbstract = redis
    ? new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `parley:rl:${name}`,
        points: opts.points,
        duration: opts.durationSeconds,
        insuranceLimiter: memory,
      })
    : memory;
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
  /** Where the counters are: this node's memory, Redis, or (Redis unreachable) this node's memory for now. */
  backend(): "memory" | "redis" | "redis-down";
  close(): Promise<void>;
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
  /** TURN credentials minted per device per hour (modules/turn). */
  turnCredentials: Limiter;
  /** Call starts (each may ring people) per user (issue 14). */
  callRings: Limiter;
}

export function createLimits(cfg: {
  rateLimitIp: number;
  rateLimitUser: number;
  loginAttempts: number;
  redisUrl?: string | undefined;
  turnCredentialsPerHour?: number;
  callRingsPerMinute: number;
}): Limits {
  const redis = cfg.redisUrl
    ? new Redis(cfg.redisUrl, {
        // Fail at once while disconnected (the memory fallback answers), reconnect in the background.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        retryStrategy: (times) => Math.min(100 * times, 2000),
      })
    : undefined;
  // Reported through backend() and /readyz; ioredis reconnects by itself.
  redis?.on("error", () => undefined);
  const limiter = (name: string, opts: LimiterOpts) => makeLimiter(name, opts, redis);
  return {
    backend: () => (!redis ? "memory" : redis.status === "ready" ? "redis" : "redis-down"),
    async close() {
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
    ip: limiter("ip", { points: cfg.rateLimitIp, durationSeconds: 60, code: "rate_limited", message: "too many requests from this address" }),
    user: limiter("user", { points: cfg.rateLimitUser, durationSeconds: 60, code: "rate_limited", message: "too many requests from this account" }),
    loginAccount: limiter("loginAccount", {
      points: cfg.loginAttempts,
      durationSeconds: 15 * 60,
      code: "login_throttled",
      message: "too many failed sign-ins for this account",
    }),
    loginIp: limiter("loginIp", {
      points: cfg.loginAttempts * 5,
      durationSeconds: 15 * 60,
      code: "login_throttled",
      message: "too many failed sign-ins from this address",
    }),
    resetAccount: limiter("resetAccount", {
      points: 5,
      durationSeconds: 60 * 60,
      code: "rate_limited",
      message: "too many password-reset emails for this account",
    }),
    mfa: limiter("mfa", {
      points: 10,
      durationSeconds: 15 * 60,
      code: "login_throttled",
      message: "too many wrong authenticator or recovery codes for this account",
    }),
    turnCredentials: limiter("turnCredentials", {
      points: cfg.turnCredentialsPerHour ?? 120,
      durationSeconds: 60 * 60,
      code: "rate_limited",
      message: "too many TURN credentials requested by this device",
    }),
    callRings: limiter("callRings", {
      points: cfg.callRingsPerMinute,
      durationSeconds: 60,
      code: "call_ring_throttled",
      message: "too many calls started by this user",
    }),
    resetIp: limiter("resetIp", { points: 30, durationSeconds: 60 * 60, code: "rate_limited", message: "too many password-reset attempts from this address" }),
  };
}
