/**
 * Test harness: real servers on 127.0.0.1 with a fresh database per test, on
 * SQLite or on the PostgreSQL that scripts/test.sh starts. Never a mock.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import pg from "pg";
import { Writable } from "node:stream";
import { createServer, type ParleyServer } from "../server.ts";
import type { ConfigInput } from "../config/schema.ts";
import { freePort, isAddressInUse } from "./ports.ts";

/** The setup token startTestServer configures. */
export const TEST_SETUP_TOKEN = "test-setup-token-0123456789";

export type TestDialect = "sqlite" | "postgres";
/** Every store/route test runs on both. */
export const DIALECTS: TestDialect[] = ["sqlite", "postgres"];

export interface TestDatabase {
  dialect: TestDialect;
  dataDir: string;
  /** DATABASE_URL for PostgreSQL; undefined for SQLite (file in dataDir). */
  url: string | undefined;
  drop(): Promise<void>;
}

function pgAdminUrl(): string {
  const url = process.env.PARLEY_TEST_PG_URL;
  if (!url) {
    throw new Error(
      "PostgreSQL for tests is not configured: run the suite with ./run test (it starts PostgreSQL), or `bash scripts/pg.sh start` and set PARLEY_TEST_PG_URL=postgres://postgres@127.0.0.1:25432/postgres",
    );
  }
  return url;
}

/** A fresh, empty database (and data dir) for one test. */
export async function createTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-test-"));
  if (dialect === "sqlite") {
    return {
      dialect,
      dataDir,
      url: undefined,
      async drop() {
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const admin = pgAdminUrl();
  const name = `parley_t_${crypto.randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    dialect,
    dataDir,
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestServer extends ParleyServer {
  database: TestDatabase;
  /** Every log line the server wrote (JSON strings). */
  logs: string[];
  /** Close the server and drop its database. */
  stop(): Promise<void>;
}

/** Start a real server on 127.0.0.1 (free port) over a fresh database. */
export async function startTestServer(opts: { dialect?: TestDialect; config?: ConfigInput; database?: TestDatabase } = {}): Promise<TestServer> {
  const database = opts.database ?? (await createTestDatabase(opts.dialect ?? "sqlite"));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  // A port below 32768, retried if another process takes it before we listen.
  let server: ParleyServer | undefined;
  for (let attempt = 0; !server; attempt++) {
    try {
      server = await createServer({
        env: {},
        config: {
          host: "127.0.0.1",
          port: await freePort(),
          dataDir: database.dataDir,
          databaseUrl: database.url,
          logLevel: "info",
          setupToken: TEST_SETUP_TOKEN,
          rateLimitIp: 100_000,
          rateLimitUser: 100_000,
          // The foundation's tests drive the transport with opaque test bytes; E2EE, SDK
          // and canary tests (and every real deployment) keep the MLS framing check on.
          checkMlsFraming: false,
          // Tests run retention themselves and count what it removed: a scheduled run at the top
          // of the hour would race them (it once took a browser test's messages first).
          retentionEveryMinutes: 0,
          ...opts.config,
        },
        logDestination: sink,
      });
    } catch (err) {
      if (!isAddressInUse(err) || attempt >= 4) {
        if (!opts.database) await database.drop(); // a start that failed leaves no test database behind
        throw err;
      }
    }
  }
  return Object.assign(server, {
    database,
    logs,
    async stop() {
      await server.close();
      if (!opts.database) await database.drop();
    },
  });
}
