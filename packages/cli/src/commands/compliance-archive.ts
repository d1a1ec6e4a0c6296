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
import { archiveSecretFrom, wrapArchiveSecret } from "../archive-secret.ts";
import { orgChannel } from "./policies.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const list = (v: string | undefined) => (v === undefined ? [] : [...new Set(v.split(",").map((s) => s.trim()))].filter(Boolean));

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
    usage: "--name N (--shares-out DIR --threshold M --count N | --hsm-out FILE) [--kinds K,K] [--labels L,L] [--channels C,C]",
    summary: "Create the org's compliance archive: the secret, its M-of-N share files, and the first signed policy",
    details: `Flags:
  --name N           shown to members ("Acme compliance archive")
  --shares-out DIR   where the N share files are written (one per officer; hand them out, then delete)
  --threshold M      how many shares rebuild the secret (2 or more)
  --count N          how many shares (M to 255)
  --hsm-out FILE     also (or instead) wrap the secret with an AES key inside your HSM and write the
                     wrapped secret to FILE: the token is named by PARLEY_PKCS11_MODULE, PARLEY_PKCS11_TOKEN
                     (or _SLOT) and PARLEY_PKCS11_PIN (or _PIN_FILE); the key (label PARLEY_ARCHIVE_KEY_LABEL,
                     default parley-archive) is created in the token and never leaves it
${SCOPE_FLAGS}

The secret never leaves this machine: the server receives the archive and signer public keys and the
signed scope. Reading the archive (\`parley compliance export\`) and changing its scope
(\`parley compliance archive scope\`) each need M shares.`,
    options: {
      name: { type: "string" },
      "shares-out": { type: "string" },
      threshold: { type: "string" },
      count: { type: "string" },
      "hsm-out": { type: "string" },
      kinds: { type: "string" },
      labels: { type: "string" },
      channels: { type: "string" },
    },
    async run(ctx) {
      const usage = "compliance archive init --name N (--shares-out DIR --threshold M --count N | --hsm-out FILE)";
      const name = required(ctx.opts, "name", usage);
      const hsmOut = str(ctx.opts, "hsm-out");
      const dir = str(ctx.opts, "shares-out");
      if (dir === undefined && hsmOut === undefined)
        throw new UsageError(`keep the secret as shares (--shares-out) or in an HSM (--hsm-out), or both (usage: parley ${usage})`);
      const threshold = dir === undefined ? 0 : int(required(ctx.opts, "threshold", usage), "--threshold", 2)!;
      const count = dir === undefined ? 0 : int(required(ctx.opts, "count", usage), "--count", threshold)!;
      if (count > 255) throw new UsageError("--count is at most 255");
      if (dir !== undefined && fs.existsSync(dir) && fs.readdirSync(dir).length > 0)
        throw new UsageError(`--shares-out ${dir} is not empty: give a new directory`);
      if (hsmOut !== undefined && fs.existsSync(hsmOut)) throw new UsageError(`--hsm-out ${hsmOut} exists: give a new file`);
      const r = await withClient(ctx, async ({ client, api, session }) => {
        const existing = await current(api);
        if (existing)
          throw new CliError("archive_exists", "the org already has a compliance archive", "change its scope with `parley compliance archive scope`");
        const scope = await scopeOf(client, ctx.opts);
        const secret = generateArchiveSecret();
        const keys = archiveKeysFromSecret(secret);
        const orgId = session.orgId;
        const files: string[] = [];
        try {
          if (hsmOut !== undefined) await wrapArchiveSecret(secret, orgId, ctx.env, hsmOut);
          if (dir !== undefined) {
            const shares = splitSecret(secret, threshold, count);
            fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
            shares.forEach((s, i) => {
              const file = path.join(dir, `share-${i + 1}-of-${count}.txt`);
              fs.writeFileSync(file, `${s}\n`, { mode: 0o600, flag: "wx" });
              files.push(file);
            });
          }
        } finally {
          secret.fill(0);
        }
        const stored = await api.call("setArchivePolicy", { body: sign(keys, { orgId, version: 1, name, scope, issuedAt: Date.now() }) });
        return { policy: stored.policy, shareFiles: files, hsmWrapped: hsmOut ?? null, signerFingerprint: archiveKeyFingerprint(keys.signer.publicKey) };
      });
      ctx.out.result(r, [
        describe(r.policy),
        ...(dir !== undefined
          ? [
              `Wrote ${r.shareFiles.length} share files (${threshold} of them rebuild the secret) to ${dir}: give one to each officer and delete the rest from this machine.`,
            ]
          : []),
        ...(hsmOut !== undefined ? [`Wrote the secret wrapped by your HSM's archive key to ${hsmOut}: it opens only with that token.`] : []),
        `Publish the signer fingerprint ${r.signerFingerprint} to members: their devices show it in the security panel.`,
      ]);
    },
  },
  {
    name: ["compliance", "archive", "scope"],
    usage: "(--shares F,F | --hsm-wrapped FILE) [--kinds K,K] [--labels L,L] [--channels C,C] [--name N]",
    summary: "Change which channels the archive covers (signed with the secret rebuilt from M shares)",
    details: `Flags:
  --shares F,F       M officers' share files
  --hsm-wrapped FILE or the secret wrapped by the HSM (init --hsm-out; PARLEY_PKCS11_* name the token)
${SCOPE_FLAGS}
  --name N           a new name

The new scope replaces the old one (list everything it should cover).`,
    options: {
      shares: { type: "string" },
      "hsm-wrapped": { type: "string" },
      kinds: { type: "string" },
      labels: { type: "string" },
      channels: { type: "string" },
      name: { type: "string" },
    },
    async run(ctx) {
      const secret = await archiveSecretFrom(ctx.opts, ctx.env);
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
