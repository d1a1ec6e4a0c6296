/**
 * `parley backup`, `parley backup verify`, `parley restore` (docs/operations.md, Backup and
 * restore): one passphrase-encrypted file with the database, the attachment blobs and a
 * manifest, made while the server runs; restored only after all of it decrypted and
 * matched its manifest. Refusals exit 3 and change nothing; a verification mismatch exits 4.
 */
import fs from "node:fs";
import type { BackupProgress, VerifyCheck } from "@parley/server";
import { required, str, type Command, type Ctx } from "../command.ts";
import { CliError, EXIT, UsageError } from "../errors.ts";
import { size } from "../render.ts";
import { SERVER_OPTIONS, serverConfigFromFlags } from "../server-config.ts";

const PASSPHRASE_OPTIONS = { "passphrase-file": { type: "string" } } as const;
const PASSPHRASE_DOC =
  "The passphrase comes from --passphrase-file FILE (its first line) or PARLEY_BACKUP_PASSPHRASE; keep it apart from the backups, with the KMS key file (which no backup contains).";

function passphrase(ctx: Ctx, making: boolean): string {
  const file = str(ctx.opts, "passphrase-file");
  let value: string | undefined;
  if (file) {
    try {
      value = fs.readFileSync(file, "utf8").split(/\r?\n/)[0];
    } catch {
      throw new CliError("not_found", `cannot read the passphrase file ${file}`, "check the path");
    }
  } else value = ctx.env.PARLEY_BACKUP_PASSPHRASE;
  if (!value) {
    throw new UsageError(
      "backups are encrypted: a passphrase is required",
      "set PARLEY_BACKUP_PASSPHRASE or pass --passphrase-file FILE (keep it apart from the backups)",
    );
  }
  if (making && value.length < 12) throw new UsageError("the backup passphrase must be at least 12 characters long");
  return value;
}

const HINTS: Record<string, string> = {
  backup_passphrase: "check PARLEY_BACKUP_PASSPHRASE or --passphrase-file; nothing was changed",
  backup_damaged: "this backup cannot be trusted: use another one; nothing was changed",
  backup_truncated: "the copy is incomplete (interrupted transfer, full disk?): copy it again or use another backup; nothing was changed",
  backup_invalid: "check the file name; nothing was changed",
  backup_incompatible: "nothing was changed",
  backup_key: "the KMS key (key file or HSM) of the backed-up server is needed; nothing was changed",
  backup_target_busy: "stop the server (every node), then run the restore again; nothing was changed",
  backup_needs_confirmation: "nothing was changed",
  backup_source: "nothing was written",
};

/** Run `fn`; a BackupError (refused, nothing changed) becomes exit 3 with its stable code. */
async function refusing<T>(ctx: Ctx, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (ctx.signal.aborted && err instanceof Error && err.name === "AbortError") {
      throw new CliError("interrupted", `${what} interrupted`, "nothing was changed; run it again");
    }
    if (err instanceof Error && err.name === "BackupError") {
      const code = (err as Error & { code: string }).code;
      throw new CliError(code, err.message, HINTS[code], EXIT.refused);
    }
    throw err;
  }
}

/** Progress on stderr: each step once, then every 10% of it. */
function progress(ctx: Ctx, verb: string): (p: BackupProgress) => void {
  let last = "";
  return (p) => {
    const share = p.totalBytes ? p.bytes / p.totalBytes : p.total ? p.done / p.total : 1;
    const key = `${p.step} ${Math.floor(share * 10)}`;
    if (key === last) return;
    last = key;
    const items = p.total ? ` ${p.done}/${p.total}` : "";
    const bytes = p.totalBytes ? ` (${size(p.bytes)} of ${size(p.totalBytes)})` : "";
    ctx.out.note(`${verb}: ${p.step}${items}${bytes} ${Math.floor(share * 100)}%`);
  };
}

function table(checks: VerifyCheck[], now: string): string[] {
  const w1 = Math.max(5, ...checks.map((c) => c.check.length));
  const w2 = Math.max(6, ...checks.map((c) => c.expected.length));
  const w3 = Math.max(8, ...checks.map((c) => c.actual.length));
  const row = (a: string, b: string, c: string, d: string) => `${a.padEnd(w1)}  ${b.padEnd(w2)}  ${c.padEnd(w3)}  ${d}`;
  return [
    row("check", "backup", now, ""),
    ...checks.flatMap((c) => [row(c.check, c.expected, c.actual, c.ok ? "ok" : "MISMATCH"), ...c.details.slice(0, 20).map((d) => `  ${d}`)]),
  ];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export const backupCommands: Command[] = [
  {
    name: ["backup"],
    usage: "--out FILE [--passphrase-file F]",
    summary: "Back up the database, attachment blobs and a manifest into one encrypted file while the server runs; progress on stderr",
    details: `Works on a running server (SQLite online backup, or pg_dump from one snapshot). The file is never overwritten: use a dated name.\n${PASSPHRASE_DOC}`,
    options: { ...SERVER_OPTIONS, out: { type: "string" }, ...PASSPHRASE_OPTIONS },
    async run(ctx) {
      const out = required(ctx.opts, "out", "backup --out FILE");
      const pass = passphrase(ctx, true);
      const server = await import("@parley/server");
      const config = server.loadConfig({ logLevel: "silent", ...serverConfigFromFlags(ctx.opts) }, ctx.env);
      const started = Date.now();
      const r = await refusing(ctx, "backup", () =>
        server.createBackup(config, { out, passphrase: pass, onProgress: progress(ctx, "backup"), signal: ctx.signal }),
      );
      if (r.missingBlobs.length)
        ctx.out.note(`note: ${r.missingBlobs.length} attachment(s) were deleted while the backup ran; their rows are kept without bytes`);
      if (!r.auditOk) ctx.out.note("warning: the audit log does not verify (run `parley audit verify`); the backup records it as it is");
      ctx.out.result(
        { ...r, ms: Date.now() - started },
        `backup written to ${r.file}: ${size(r.size)}, ${r.dialect} schema ${r.schema}, ${r.tables} tables, ${r.rows} rows, ${r.events} events, ${r.blobs} blobs (${size(r.blobBytes)}), audit log ${r.auditOk ? "verified" : "FAILED"}, in ${seconds(Date.now() - started)}`,
      );
    },
  },
  {
    name: ["backup", "verify"],
    usage: "--in FILE [--passphrase-file F]",
    summary:
      "Decrypt a backup and check every block, item hash and (SQLite) its database against the manifest, without restoring; exits 3 if refused, 4 on a mismatch",
    details: PASSPHRASE_DOC,
    options: { in: { type: "string" }, ...PASSPHRASE_OPTIONS },
    async run(ctx) {
      const file = required(ctx.opts, "in", "backup verify --in FILE");
      if (!fs.existsSync(file)) throw new CliError("not_found", `no file ${file}`);
      const pass = passphrase(ctx, false);
      const server = await import("@parley/server");
      const r = await refusing(ctx, "verify", () => server.verifyBackupFile(file, { passphrase: pass, onProgress: progress(ctx, "verify") }));
      const m = r.manifest;
      ctx.out.result({ ok: r.ok, createdAt: m.createdAt, dialect: m.dialect, schema: m.migrations.at(-1), items: m.items.length, checks: r.checks }, () => [
        `backup of ${m.createdAt} (${m.dialect}, schema ${m.migrations.at(-1)}): ${m.items.length} items decrypted and matching the manifest`,
        ...table(r.checks, "recomputed"),
        r.ok ? "backup verified" : "backup verification FAILED",
      ]);
      return r.ok ? EXIT.ok : EXIT.mismatch;
    },
  },
  {
    name: ["restore"],
    usage: "--in FILE [--passphrase-file F] [--yes]",
    summary:
      "Restore a backup (server stopped): decrypt and check all of it first, then replace the database and blobs, migrate, and verify; exits 3 if refused, 4 on a mismatch",
    details: `Nothing is overwritten until the whole backup decrypted and matched its manifest. --yes confirms replacing an installation that holds data. The KMS key (key file or HSM) of the backed-up server must be in place.\n${PASSPHRASE_DOC}`,
    options: { ...SERVER_OPTIONS, in: { type: "string" }, yes: { type: "boolean" }, ...PASSPHRASE_OPTIONS },
    async run(ctx) {
      const file = required(ctx.opts, "in", "restore --in FILE");
      if (!fs.existsSync(file)) throw new CliError("not_found", `no file ${file}`);
      const pass = passphrase(ctx, false);
      const server = await import("@parley/server");
      const config = server.loadConfig({ logLevel: "silent", ...serverConfigFromFlags(ctx.opts) }, ctx.env);
      const started = Date.now();
      const r = await refusing(ctx, "restore", () =>
        server.restoreBackup(config, file, {
          passphrase: pass,
          signal: ctx.signal,
          confirm: ctx.opts.yes === true,
          onProgress: progress(ctx, "restore"),
          onMigration: (name) => ctx.out.note(`restore: applied migration ${name}`),
        }),
      );
      const ms = Date.now() - started;
      const m = r.manifest;
      ctx.out.result({ ok: r.ok, createdAt: m.createdAt, dialect: m.dialect, migrated: r.migrated, checks: r.checks, ms }, () => [
        `restored the backup of ${m.createdAt} (${m.dialect}, schema ${m.migrations.at(-1)}${r.migrated.length ? `, then ${r.migrated.length} migration(s)` : ""}) in ${seconds(ms)}`,
        ...table(r.checks, "restored"),
        r.ok ? "restore verified: start the server" : "restore verification FAILED: do not start the server before you know why",
      ]);
      return r.ok ? EXIT.ok : EXIT.mismatch;
    },
  },
];
