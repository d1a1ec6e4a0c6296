/**
 * A fresh PostgreSQL database per bench run, on the throwaway server that
 * scripts/pg.sh starts on 127.0.0.1:25432 (or PARLEY_BENCH_PG_URL, else the
 * tests' PARLEY_TEST_PG_URL: an admin URL of a server already running); dropped
 * after. Uses Debian's psql (installed with the server) so the bench needs no
 * database driver of its own.
 */
import crypto from "node:crypto";
import path from "node:path";
import { execFileSync } from "node:child_process";

export interface PgDatabase {
  url: string;
  /** PIDs of the server processes (backends) connected to this database now, e.g. to read their CPU time. */
  backendPids(): number[];
  drop(): Promise<void>;
}

function psql(url: string, sql: string): void {
  execFileSync("psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], { stdio: ["ignore", "ignore", "inherit"], timeout: 60_000 });
}

export async function createPgDatabase(repoRoot: string): Promise<PgDatabase> {
  let admin = process.env.PARLEY_BENCH_PG_URL || process.env.PARLEY_TEST_PG_URL;
  if (!admin) {
    execFileSync("bash", [path.join(repoRoot, "scripts/pg.sh"), "start"], { stdio: "inherit", timeout: 300_000 });
    admin = "postgres://postgres@127.0.0.1:25432/postgres";
  }
  const name = `parley_bench_${crypto.randomBytes(5).toString("hex")}`;
  psql(admin, `CREATE DATABASE ${name}`);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  const adminUrl = admin;
  return {
    url: u.toString(),
    backendPids() {
      const out = execFileSync("psql", [adminUrl, "-At", "-c", `SELECT pid FROM pg_stat_activity WHERE datname = '${name}'`], {
        encoding: "utf8",
        timeout: 30_000,
      });
      return out.split("\n").filter(Boolean).map(Number);
    },
    async drop() {
      psql(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
