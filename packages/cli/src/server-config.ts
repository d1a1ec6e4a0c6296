/**
 * Flags shared by `parley start` and the offline `parley admin` commands.
 * Flags override the environment (PARLEY_*, DATABASE_URL), which overrides defaults.
 */
import type { ParseArgsOptionsConfig } from "node:util";
import type { ConfigInput } from "@parley/server";
import { str, type Opts } from "./command.ts";

export const SERVER_OPTIONS: ParseArgsOptionsConfig = {
  port: { type: "string" },
  host: { type: "string" },
  "data-dir": { type: "string" },
  "database-url": { type: "string" },
  "log-level": { type: "string" },
};

export const SERVER_FLAGS_DOC = `
  --port N             HTTP/WebSocket port (env PARLEY_PORT, default 8080)
  --host ADDR          address to listen on (env PARLEY_HOST, default 127.0.0.1)
  --data-dir DIR       SQLite database, keys and blobs (env PARLEY_DATA_DIR, default ./.data)
  --database-url URL   postgres://... selects PostgreSQL (env DATABASE_URL)
  --log-level LEVEL    fatal|error|warn|info|debug|trace|silent (env PARLEY_LOG_LEVEL)
Every other setting is an environment variable: see docs/configuration.md.`;

/** Config overrides from the flags (validated by the server's config schema). */
export function serverConfigFromFlags(opts: Opts): ConfigInput {
  const c: { -readonly [K in keyof ConfigInput]: ConfigInput[K] } = {};
  const port = str(opts, "port");
  if (port !== undefined) c.port = port;
  const host = str(opts, "host");
  if (host !== undefined) c.host = host;
  const dataDir = str(opts, "data-dir");
  if (dataDir !== undefined) c.dataDir = dataDir;
  const url = str(opts, "database-url");
  if (url !== undefined) c.databaseUrl = url;
  const level = str(opts, "log-level");
  if (level !== undefined) c.logLevel = level as ConfigInput["logLevel"];
  return c;
}
