/**
 * @parley/sdk — the Parley client SDK: typed REST transport, sessions with
 * token refresh, realtime connection with reconnect, sync engine with
 * cursors, local stores, send with retry and idempotency, and the content
 * codec seam. Runs in Node 22+ and browsers; Node-only parts live in
 * `@parley/sdk/node`.
 */
export * from "./errors.ts";
export * from "./http.ts";
export * from "./codec.ts";
export * from "./store.ts";
export * from "./emitter.ts";
export * from "./backoff.ts";
export * from "./auth.ts";
export * from "./ordered-stream.ts";
export * from "./sync.ts";
export * from "./connection.ts";
export * from "./outbox.ts";
export * from "./client-events.ts";
export * from "./client.ts";
export * from "./timeline.ts";
