/**
 * `parley audit verify | export | keys`: offline, on the server's database (same config
 * as `parley start`), or on an export file. verify exits 1 and names the first bad entry
 * of each org when anything does not check out (docs/audit.md).
 */
import fs from "node:fs";
import type { AuditVerification, Deps } from "@parley/server";
import { str, type Command, type Ctx } from "../command.ts";
import { CliError, EXIT, UsageError } from "../errors.ts";
import { openOffline, resolveOrg, type Offline } from "../offline.ts";
import { SERVER_OPTIONS, serverConfigFromFlags } from "../server-config.ts";

/** `--public-key ID:BASE64URL` (repeatable) as a trusted-key map. */
function parseKeys(values: string[] | undefined): Map<string, Uint8Array> | undefined {
  if (!values || values.length === 0) return undefined;
  const keys = new Map<string, Uint8Array>();
  for (const v of values) {
    const m = /^([^:\s]+):([A-Za-z0-9_-]{43})$/.exec(v);
    if (!m) throw new UsageError(`--public-key takes ID:BASE64URL (as printed by \`parley audit keys\`), not "${v}"`);
    keys.set(m[1] as string, new Uint8Array(Buffer.from(m[2] as string, "base64url")));
  }
  return keys;
}

function list(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : undefined;
}

async function open(ctx: Ctx): Promise<Offline> {
  return openOffline(serverConfigFromFlags(ctx.opts), ctx.env, (name) => ctx.out.note(`migrating database: applied ${name}`));
}

async function orgNames(deps: Deps): Promise<Map<string, string>> {
  const rows = await deps.db.selectFrom("orgs").select(["id", "slug"]).execute();
  return new Map(rows.map((r) => [r.id, r.slug]));
}

function describe(report: AuditVerification, names: Map<string, string>): string[] {
  const name = (id: string) => (names.get(id) ? `${names.get(id)} (${id})` : id);
  const lines = report.orgs.map((o) => {
    const bad = report.problems.find((p) => p.orgId === o.orgId);
    const range = o.firstSeq === null ? "no entries" : `${o.entries} entries, seq ${o.firstSeq}..${o.lastSeq ?? o.firstSeq}`;
    const anchored = o.anchored ? "" : " (partial export: starts after seq 1)";
    return bad
      ? `FAILED ${name(o.orgId)}: seq ${bad.seq ?? "-"}: ${bad.kind}: ${bad.message}`
      : `ok     ${name(o.orgId)}: ${range}${anchored}, ${o.checkpointsMatched} signed checkpoint(s) matched`;
  });
  const extra = report.problems.filter((p, i) => report.problems.findIndex((q) => q.orgId === p.orgId) !== i || !report.orgs.some((o) => o.orgId === p.orgId));
  for (const p of extra) lines.push(`  also ${name(p.orgId)}: seq ${p.seq ?? "-"}: ${p.kind}: ${p.message}`);
  lines.push(report.ok ? "audit log verified" : "audit log verification FAILED");
  return lines;
}

export const auditCommands: Command[] = [
  {
    name: ["audit", "verify"],
    usage: "[--org SLUG] [--from-export FILE] [--checkpoints FILE] [--public-key ID:KEY ...]",
    summary: "Verify the audit log's hash chain, seqs and signed checkpoints (in the database, or an export file); exits 1 naming the first bad entry",
    details:
      "--checkpoints FILE adds checkpoints shipped off the box (PARLEY_AUDIT_CHECKPOINT_FILE). --public-key trusts these audit keys instead of the ones in the database (print them with `parley audit keys`).",
    options: {
      ...SERVER_OPTIONS,
      org: { type: "string" },
      "from-export": { type: "string" },
      checkpoints: { type: "string" },
      "public-key": { type: "string", multiple: true },
    },
    async run(ctx) {
      const exportFile = str(ctx.opts, "from-export");
      const checkpointsFile = str(ctx.opts, "checkpoints");
      for (const f of [exportFile, checkpointsFile]) if (f && !fs.existsSync(f)) throw new CliError("not_found", `no file ${f}`);
      let trustedKeys = parseKeys(list(ctx.opts["public-key"]));
      const db = await open(ctx);
      try {
        const orgSlug = str(ctx.opts, "org");
        const orgIds = orgSlug ? [(await resolveOrg(db.deps, orgSlug)).id] : undefined;
        trustedKeys ??= await db.server.auditPublicKeys(db.deps.db);
        const report = exportFile
          ? await db.server.verifyAuditExport(exportFile, { orgIds, trustedKeys, checkpointsFile })
          : await db.server.verifyAuditDatabase(db.deps.db, { orgIds, trustedKeys, checkpointsFile });
        const names = await orgNames(db.deps);
        ctx.out.result(report, () => describe(report, names));
        return report.ok ? EXIT.ok : EXIT.error;
      } finally {
        await db.close();
      }
    },
  },
  {
    name: ["audit", "export"],
    usage: "--since DATE --jsonl [--org SLUG] [--out FILE]",
    summary: "Export audit entries (sealed PII included as stored) and their checkpoints as JSON Lines; progress on stderr",
    details: "DATE is ISO 8601 (2026-01-31 or 2026-01-31T12:00:00Z). Without --out the lines go to stdout.",
    options: { ...SERVER_OPTIONS, org: { type: "string" }, since: { type: "string" }, jsonl: { type: "boolean" }, out: { type: "string" } },
    async run(ctx) {
      const since = str(ctx.opts, "since");
      if (!since) throw new UsageError("--since DATE is required (usage: parley audit export --since DATE --jsonl [--org SLUG] [--out FILE])");
      if (!ctx.opts.jsonl) throw new UsageError("name the format: --jsonl (the only one today)");
      const sinceMs = Date.parse(since);
      if (Number.isNaN(sinceMs)) throw new UsageError(`--since: "${since}" is not a date (use ISO 8601, e.g. 2026-01-31)`);
      const outFile = str(ctx.opts, "out");
      const db = await open(ctx);
      try {
        const orgSlug = str(ctx.opts, "org");
        const orgIds = orgSlug ? [(await resolveOrg(db.deps, orgSlug)).id] : undefined;
        const out = outFile ? fs.createWriteStream(outFile, { mode: 0o600 }) : process.stdout;
        // Records one audit.exported entry per exported org (the CLI acts as the system), once the file is flushed.
        const { entries: n } = await db.server.exportAuditLog(db.deps, out, {
          sinceMs,
          ...(orgIds ? { orgIds } : {}),
          end: Boolean(outFile),
          onProgress: (p) => ctx.out.note(`exported ${p.entries} entries of ${p.orgId}`),
        });
        if (outFile) {
          ctx.out.result({ entries: n, file: outFile }, `${n} entries written to ${outFile}`);
        } else {
          ctx.out.note(`${n} entries exported`);
        }
      } finally {
        await db.close();
      }
    },
  },
  {
    name: ["audit", "keys"],
    usage: "",
    summary: "Print the audit checkpoint public keys (ID:BASE64URL) to give `audit verify --public-key` off the box",
    options: { ...SERVER_OPTIONS },
    async run(ctx) {
      const db = await open(ctx);
      try {
        const keys = [...(await db.server.auditPublicKeys(db.deps.db)).entries()].map(([id, k]) => `${id}:${Buffer.from(k).toString("base64url")}`);
        ctx.out.result({ keys }, keys);
      } finally {
        await db.close();
      }
    },
  },
];
