/**
 * `parley compliance archive ...`: the org's compliance archive (ADR 0008, docs/compliance.md).
 * `init` makes the archive secret on this machine, splits it M-of-N into share files for the
 * officers and stores the first signed policy; `scope` changes which channels it covers (it
 * needs M shares: the signer key comes from the secret); `archive` shows the current policy.
 * The secret never leaves this machine; only the policy (public keys, scope, signature) is sent.
 */
import fs from "node:fs";
import path from "node:path";
import {
  archiveKeyFingerprint,
  archiveKeysFromSecret,
  combineSecretShares,
  generateArchiveSecret,
  signArchivePolicy,
  splitSecret,
  type ArchiveKeys,
  type ArchivePolicyFields,
} from "@parley/crypto";
import { ChannelKind, type ArchivePolicy, type SignedArchivePolicy } from "@parley/protocol";
import type { Api, ParleyClient } from "@parley/sdk/node";
import { int, required, str, type Command, type Opts } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { withClient } from "../session.ts";
import { orgChannel } from "./policies.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const list = (v: string | undefined) => (v === undefined ? [] : [...new Set(v.split(",").map((s) => s.trim()))].filter(Boolean));

/** The archive secret from M share files (`--shares a.txt,b.txt`): refused clearly when they do not fit together. */
export function archiveSecretFromShares(opts: Opts, cmd: string): Uint8Array {
  const files = list(required(opts, "shares", cmd));
  const texts = files.map((f) => {
    try {
      return fs.readFileSync(f, "utf8").trim();
    } catch (err) {
      throw new CliError(
        "share_unreadable",
        `cannot read the share file ${f}: ${(err as Error).message}`,
        "pass the share files the officers hold, comma-separated",
      );
    }
  });
  try {
    return combineSecretShares(texts);
  } catch (err) {
    throw new CliError(
      "shares_invalid",
      `the shares do not rebuild the archive secret: ${(err as Error).message}`,
      "bring enough shares of the same split (each officer's share file as written by `parley compliance archive init`)",
    );
  }
}

/** Scope flags to ids: kinds checked, labels as given, channels (#name or id) looked up. */
async function scopeOf(client: ParleyClient, opts: Opts): Promise<ArchivePolicy["scope"]> {
  const kinds = list(str(opts, "kinds"));
  const bad = kinds.find((k) => !ChannelKind.safeParse(k).success);
  if (bad !== undefined) throw new UsageError(`--kinds takes ${ChannelKind.options.join(", ")}, got '${bad}'`);
  const channelIds: string[] = [];
  for (const ref of list(str(opts, "channels"))) channelIds.push((await orgChannel(client, ref)).id);
  return { kinds: kinds as ArchivePolicy["scope"]["kinds"], labels: list(str(opts, "labels")), channelIds };
}

function sign(keys: ArchiveKeys, fields: Omit<ArchivePolicyFields, "archiveKey" | "signerKey">): SignedArchivePolicy {
  const full: ArchivePolicyFields = { ...fields, archiveKey: keys.archive.publicKey, signerKey: keys.signer.publicKey };
  const signature = signArchivePolicy(full, keys.signer.privateKey);
  return {
    policy: { ...fields, scope: fields.scope as ArchivePolicy["scope"], archiveKey: b64(full.archiveKey), signerKey: b64(full.signerKey) },
    signature: b64(signature),
  };
}

const describe = (p: ArchivePolicy) =>
  [
    `${p.name} (policy version ${p.version}, signer ${archiveKeyFingerprint(Buffer.from(p.signerKey, "base64"))})`,
    `Covers: kinds ${p.scope.kinds.join(", ") || "none"}; labels ${p.scope.labels.join(", ") || "none"}; ${p.scope.channelIds.length} listed channel(s)`,
  ].join("\n");

async function current(api: Api): Promise<SignedArchivePolicy | null> {
  return (await api.call("getArchivePolicy")).current;
}

const SCOPE_FLAGS = `  --kinds K,K        channel kinds it covers: ${ChannelKind.options.join(", ")}
  --labels L,L       channel labels it covers (e.g. regulated)
  --channels C,C     channels it covers, by #name or id`;

export const complianceArchiveCommands: Command[] = [
  {
    name: ["compliance", "archive"],
    usage: "",
    summary: "The org's compliance archive policy: which channels devices also seal history keys for",
    async run(ctx) {
      const r = await withClient(ctx, ({ api }) => api.call("getArchivePolicy"));
      ctx.out.result(r, r.current ? describe(r.current.policy) : "No compliance archive (`parley compliance archive init`).");
    },
  },
  {
    name: ["compliance", "archive", "init"],
    usage: "--name N --shares-out DIR --threshold M --count N [--kinds K,K] [--labels L,L] [--channels C,C]",
    summary: "Create the org's compliance archive: the secret, its M-of-N share files, and the first signed policy",
    details: `Flags:
  --name N           shown to members ("Acme compliance archive")
  --shares-out DIR   where the N share files are written (one per officer; hand them out, then delete)
  --threshold M      how many shares rebuild the secret (2 or more)
  --count N          how many shares (M to 255)
${SCOPE_FLAGS}

The secret never leaves this machine: the server receives the archive and signer public keys and the
signed scope. Reading the archive (\`parley compliance export\`) and changing its scope
(\`parley compliance archive scope\`) each need M shares.`,
    options: {
      name: { type: "string" },
      "shares-out": { type: "string" },
      threshold: { type: "string" },
      count: { type: "string" },
      kinds: { type: "string" },
      labels: { type: "string" },
      channels: { type: "string" },
    },
    async run(ctx) {
      const usage = "compliance archive init --name N --shares-out DIR --threshold M --count N";
      const name = required(ctx.opts, "name", usage);
      const dir = required(ctx.opts, "shares-out", usage);
      const threshold = int(required(ctx.opts, "threshold", usage), "--threshold", 2)!;
      const count = int(required(ctx.opts, "count", usage), "--count", threshold)!;
      if (count > 255) throw new UsageError("--count is at most 255");
      if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw new UsageError(`--shares-out ${dir} is not empty: give a new directory`);
      const r = await withClient(ctx, async ({ client, api, session }) => {
        const existing = await current(api);
        if (existing)
          throw new CliError("archive_exists", "the org already has a compliance archive", "change its scope with `parley compliance archive scope`");
        const scope = await scopeOf(client, ctx.opts);
        const secret = generateArchiveSecret();
        const keys = archiveKeysFromSecret(secret);
        const shares = splitSecret(secret, threshold, count);
        secret.fill(0);
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const files = shares.map((s, i) => {
          const file = path.join(dir, `share-${i + 1}-of-${count}.txt`);
          fs.writeFileSync(file, `${s}\n`, { mode: 0o600, flag: "wx" });
          return file;
        });
        const orgId = session.orgId;
        const stored = await api.call("setArchivePolicy", { body: sign(keys, { orgId, version: 1, name, scope, issuedAt: Date.now() }) });
        return { policy: stored.policy, shareFiles: files, signerFingerprint: archiveKeyFingerprint(keys.signer.publicKey) };
      });
      ctx.out.result(r, [
        describe(r.policy),
        `Wrote ${r.shareFiles.length} share files (${threshold} of them rebuild the secret) to ${dir}: give one to each officer and delete the rest from this machine.`,
        `Publish the signer fingerprint ${r.signerFingerprint} to members: their devices show it in the security panel.`,
      ]);
    },
  },
  {
    name: ["compliance", "archive", "scope"],
    usage: "--shares F,F [--kinds K,K] [--labels L,L] [--channels C,C] [--name N]",
    summary: "Change which channels the archive covers (signed with the secret rebuilt from M shares)",
    details: `Flags:
  --shares F,F       M officers' share files
${SCOPE_FLAGS}
  --name N           a new name

The new scope replaces the old one (list everything it should cover).`,
    options: { shares: { type: "string" }, kinds: { type: "string" }, labels: { type: "string" }, channels: { type: "string" }, name: { type: "string" } },
    async run(ctx) {
      const secret = archiveSecretFromShares(ctx.opts, "compliance archive scope --shares F,F ...");
      const keys = archiveKeysFromSecret(secret);
      secret.fill(0);
      const r = await withClient(ctx, async ({ client, api }) => {
        const existing = await current(api);
        if (!existing) throw new CliError("no_archive", "the org has no compliance archive yet", "create it with `parley compliance archive init`");
        if (existing.policy.signerKey !== b64(keys.signer.publicKey))
          throw new CliError("shares_invalid", "these shares rebuild another archive's secret than the org's", "use the share files of this org's archive");
        const scope = await scopeOf(client, ctx.opts);
        const next = {
          orgId: existing.policy.orgId,
          version: existing.policy.version + 1,
          name: str(ctx.opts, "name") ?? existing.policy.name,
          scope,
          issuedAt: Date.now(),
        };
        return api.call("setArchivePolicy", { body: sign(keys, next) });
      });
      ctx.out.result(r, `Stored archive policy version ${r.policy.version}.\n${describe(r.policy)}`);
    },
  },
];
