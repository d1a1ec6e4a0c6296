/**
 * The webhook runtime's own state, in one SQLite file in its state directory (never on the
 * server): incoming integrations with their token hashes, the replay cache of signatures,
 * outgoing integrations with their secrets, and the outbox of deliveries. Writes are
 * synchronous and committed before a request is answered or a message is acknowledged to
 * the handler, so a crash loses nothing the runtime said it took.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

/** The runtime's state database (better-sqlite3, WAL). */
export type WebhookState = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS incoming (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  runs_at TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  signing_secret TEXT,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS replay (
  integration_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (integration_id, signature)
);
CREATE TABLE IF NOT EXISTS outgoing (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  triggers TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  delivery_id TEXT PRIMARY KEY,
  integration_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  reported INTEGER NOT NULL DEFAULT 0,
  UNIQUE (integration_id, channel_id, seq)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_at);
`;

/** Open (and create) the state database in `dir`, mode 0600: it holds webhook secrets. */
export function openWebhookState(dir: string): WebhookState {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, "webhooks.db");
  const db = new Database(file);
  fs.chmodSync(file, 0o600);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec(SCHEMA);
  return db;
}
