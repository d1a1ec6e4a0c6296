/**
 * Byte scanner of the plaintext-canary test: a random canary, the encodings
 * a careless server could store it in (UTF-8, UTF-16LE/BE, hex, base64 and
 * base64url at every byte alignment), and raw scans of files, directories,
 * log lines and a PostgreSQL database (pg_dump text, plus the cluster's data
 * files when the test process can read them).
 */
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import pg from "pg";

/** A random canary: 32 hex chars, unique to one test run. */
export function newCanary(prefix = "cnry"): string {
  return `${prefix}${crypto.randomBytes(16).toString("hex")}`;
}

/** One byte pattern to look for, named by its encoding. */
export interface Needle {
  encoding: string;
  bytes: Buffer;
}

/**
 * Base64 text that encodes `data` wherever it starts in a longer input: for
 * each of the 3 alignments, the characters that depend on `data` alone.
 */
function base64Fragments(data: Buffer): string[] {
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift), data]).toString("base64");
    const first = Math.ceil((shift * 8) / 6);
    const last = Math.floor(((shift + data.length) * 8) / 6);
    out.push(b64.slice(first, last));
  }
  return out;
}

/** The canary in every encoding the scan looks for. */
export function needlesOf(canary: string): Needle[] {
  const utf8 = Buffer.from(canary, "utf8");
  const utf16le = Buffer.from(canary, "utf16le");
  const utf16be = Buffer.from(utf16le).swap16();
  const needles: Needle[] = [
    { encoding: "utf8", bytes: utf8 },
    { encoding: "utf16le", bytes: utf16le },
    { encoding: "utf16be", bytes: utf16be },
    { encoding: "hex", bytes: Buffer.from(utf8.toString("hex")) },
    { encoding: "HEX", bytes: Buffer.from(utf8.toString("hex").toUpperCase()) },
  ];
  base64Fragments(utf8).forEach((f, i) => {
    needles.push({ encoding: `base64@${i}`, bytes: Buffer.from(f) });
    needles.push({ encoding: `base64url@${i}`, bytes: Buffer.from(f.replace(/\+/g, "-").replace(/\//g, "_")) });
  });
  return needles;
}

/** Where a needle was found. */
export interface Hit {
  where: string;
  encoding: string;
  offset: number;
  context: string;
}

/** Every needle found in `buf` (`where` names the source in the report). */
export function scanBuffer(buf: Buffer, needles: Needle[], where: string): Hit[] {
  const hits: Hit[] = [];
  for (const n of needles) {
    const at = buf.indexOf(n.bytes);
    if (at < 0) continue;
    const ctx = buf.subarray(Math.max(0, at - 60), Math.min(buf.length, at + n.bytes.length + 60));
    hits.push({ where, encoding: n.encoding, offset: at, context: ctx.toString("latin1").replace(/[^\x20-\x7e]/g, ".") });
  }
  return hits;
}

/** Scan one file as raw bytes (a missing file scans clean; `scanned` records what was read). */
export function scanFile(file: string, needles: Needle[], scanned?: string[]): Hit[] {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  scanned?.push(`${file} (${buf.length} B)`);
  return scanBuffer(buf, needles, file);
}

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Scan every file under `dir`. */
export function scanDir(dir: string, needles: Needle[], scanned?: string[]): Hit[] {
  return filesUnder(dir).flatMap((f) => scanFile(f, needles, scanned));
}

/** The SQLite database file and its -wal and -shm companions. */
export function scanSqlite(file: string, needles: Needle[], scanned?: string[]): Hit[] {
  return [file, `${file}-wal`, `${file}-shm`, `${file}-journal`].flatMap((f) => scanFile(f, needles, scanned));
}

/** The server's captured log lines. */
export function scanLogs(lines: string[], needles: Needle[]): Hit[] {
  return scanBuffer(Buffer.from(lines.join("")), needles, "server logs");
}

/** Newest pg_dump under /usr/lib/postgresql/<v>/bin, or undefined. */
export function pgDumpBinary(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, "bin", "pg_dump")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], "bin", "pg_dump") : undefined;
}

/** pg_dump of the whole database as plain SQL text (schema + every row). */
export function pgDump(url: string): Buffer {
  const bin = pgDumpBinary();
  if (!bin) throw new Error("pg_dump not found under /usr/lib/postgresql/*/bin (apt-get install postgresql-client)");
  return execFileSync(bin, ["--no-owner", "--no-privileges", "--format=plain", "--dbname", url], { maxBuffer: 512 * 1024 * 1024 });
}

/**
 * Every row of every table in the public schema as text (bytea as hex): a
 * second, independent view of the database next to pg_dump.
 */
export async function pgRowsAsText(url: string): Promise<Buffer> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = await c.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    const parts: string[] = [];
    for (const { tablename } of tables.rows) {
      const rows = await c.query<{ r: string }>(`SELECT t::text AS r FROM "${tablename}" t`);
      parts.push(`-- ${tablename}\n`, ...rows.rows.map((x) => `${x.r}\n`));
    }
    return Buffer.from(parts.join(""));
  } finally {
    await c.end();
  }
}

/**
 * The database's own heap files (base/<oid>) and the cluster's WAL, after a
 * CHECKPOINT: they hold dead row versions that neither pg_dump nor SELECT
 * return. Undefined when the data directory is not readable from here (a
 * remote PostgreSQL, or not running as a user allowed to read it).
 */
export async function pgDataFiles(url: string): Promise<string[] | undefined> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  let dataDir: string;
  let oid: string;
  try {
    await c.query("CHECKPOINT");
    dataDir = (await c.query<{ d: string }>("SELECT current_setting('data_directory') AS d")).rows[0]!.d;
    oid = String((await c.query<{ oid: number }>("SELECT oid FROM pg_database WHERE datname = current_database()")).rows[0]!.oid);
  } catch {
    return undefined;
  } finally {
    await c.end();
  }
  try {
    fs.accessSync(path.join(dataDir, "base", oid), fs.constants.R_OK);
  } catch {
    return undefined;
  }
  return [...filesUnder(path.join(dataDir, "base", oid)), ...filesUnder(path.join(dataDir, "pg_wal")).filter((f) => /\/[0-9A-F]{24}$/.test(f))];
}

/** One line per hit, for the assertion message. */
export function describeHits(hits: Hit[]): string {
  return hits.map((h) => `${h.where} @${h.offset} [${h.encoding}]: ${h.context}`).join("\n");
}
