/**
 * `parley compliance export` and `parley compliance verify-bundle` (issue 11, ADR 0008,
 * docs/compliance.md "eDiscovery export"). The export runs on the officer's machine: it rebuilds
 * the archive secret from M shares, checks it is this org's (its signer key is the current
 * policy's), reads the archive through the officers' routes (each read audited by the server),
 * decrypts it here (ediscovery/archive-read.ts), writes a bundle signed by the officer's key,
 * and records the export (what, how many, the manifest's SHA-256). The secret never leaves
 * this process.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { archiveKeyFingerprint, archiveKeysFromSecret } from "@parley/crypto";
import type { ArchivedChannel, User } from "@parley/protocol";
import type { Api } from "@parley/sdk/node";
import { str, type Command, type Ctx } from "../command.ts";
import { CliError, EXIT, UsageError } from "../errors.ts";
import { withClient } from "../session.ts";
import { fetchAttachment } from "../ediscovery/archive-files.ts";
import { readArchive, senderKeys, type ArchiveRead } from "../ediscovery/archive-read.ts";
import { writeEdiscoveryBundle, zipEdiscoveryBundle, type BundleProgress } from "../ediscovery/bundle.ts";
import { BundleError, type ExportChannel, type ExportItem, type ExportPerson } from "../ediscovery/items.ts";
import { MANIFEST_FILE } from "../ediscovery/manifest.ts";
import { generateOfficerKey, loadOfficerKey } from "../ediscovery/officer-key.ts";
import { archiveSecretFrom } from "../archive-secret.ts";
import { verifyBundleCommand } from "./compliance-verify-bundle.ts";

const USAGE = "(--channel C[,C] | --user U) [--from ISO] [--to ISO] (--shares F,F | --hsm-wrapped FILE) --out DIR [--zip FILE] [--officer-key PEM_FILE]";
const list = (v: string | undefined) => (v === undefined ? [] : [...new Set(v.split(",").map((s) => s.trim()))].filter(Boolean));
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** An ISO 8601 bound, or null. */
function bound(ctx: Ctx, key: "from" | "to"): { iso: string; ms: number } | null {
  const v = str(ctx.opts, key);
  if (v === undefined) return null;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new UsageError(`--${key} takes an ISO 8601 date or time (2026-03-01, 2026-03-01T09:00:00Z), got '${v}'`);
  return { iso: v, ms };
}

const BUNDLE_HINTS = {
  bundle_bad_target: "give a new, empty --out directory (and a --zip file that does not exist, outside it)",
  bundle_bad_key: "pass an Ed25519 private key in PKCS#8 PEM (`openssl genpkey -algorithm ed25519`), or leave --officer-key out to make one",
  bundle_bad_item: "the archive holds an item the bundle cannot take: report it with the message above",
} as const;

function bundleRefusal(err: unknown): never {
  if (err instanceof BundleError) throw new CliError(err.code, err.message, BUNDLE_HINTS[err.code]);
  throw err;
}

/** Refuses up front what would fail only after the whole archive was read. */
function checkTargets(out: string, files: string[]): void {
  if (fs.existsSync(out) && (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length > 0))
    throw new CliError("bundle_bad_target", `${out} is not empty: a bundle goes into a new or empty directory`, "give a new --out directory");
  for (const f of files)
    if (fs.existsSync(f)) throw new CliError("bundle_bad_target", `${f} already exists: it is never overwritten`, "move it away or pick another name");
}

/** The org's users as the bundle names them. */
function people(users: User[]): (id: string) => ExportPerson {
  const byId = new Map(users.map((u) => [u.id, u]));
  return (id) => {
    const u = byId.get(id);
    return u ? { userId: u.id, username: u.username, displayName: u.displayName } : { userId: id, username: id, displayName: "(unknown user)" };
  };
}

/** The archived channels named by --channel (#name or id). */
function pickChannels(all: ArchivedChannel[], refs: string[]): ArchivedChannel[] {
  return refs.map((ref) => {
    const name = ref.replace(/^#/, "");
    const ch = all.find((c) => c.id === name) ?? all.find((c) => c.name === name) ?? all.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (!ch) {
      const known = all.map((c) => `#${c.name}`).join(", ") || "none";
      throw new CliError("not_found", `no archived channel "${ref}"`, `the archive holds: ${known}`);
    }
    return ch;
  });
}

/** Progress on stderr, each step once and then every 10%. */
function bundleProgress(ctx: Ctx): (p: BundleProgress) => void {
  let last = "";
  return (p) => {
    const tenth = p.total ? Math.floor((p.done / p.total) * 10) : 0;
    const key = `${p.step} ${tenth}`;
    if (key === last) return;
    last = key;
    ctx.out.note(`bundle: ${p.step === "items" ? "items written" : "files hashed"} ${p.done}${p.total ? `/${p.total}` : ""}`);
  };
}

/** The items with their attachments fetched just before each is written (scratch files removed once written). */
async function* withAttachments(ctx: Ctx, api: Api, read: ArchiveRead, scratch: string): AsyncIterable<ExportItem> {
  const total = read.drafts.reduce((n, d) => n + d.files.length, 0);
  let n = 0;
  for (const d of read.drafts) {
    const fetched = [];
    for (const ref of d.files) fetched.push(await fetchAttachment(api, ref, scratch, n++));
    if (d.files.length) ctx.out.note(`attachments: ${n}/${total}`);
    const attachments = [...fetched.map(({ scratch: _s, ...a }) => a), ...(d.item.attachments ?? [])];
    yield attachments.length ? { ...d.item, attachments } : d.item;
    for (const f of fetched) if (f.scratch) fs.rmSync(f.scratch, { force: true });
  }
}

const exportCommand: Command = {
  name: ["compliance", "export"],
  usage: USAGE,
  summary: "eDiscovery: decrypt the compliance archive of channels or of a user's messages into a signed bundle, on this machine",
  details: `Flags:
  --channel C,C        archived channels, by #name or id
  --user U             every archived item this user sent (username or id), in every archived channel
  --from ISO, --to ISO only items the server stored at or after --from and before --to (UTC unless
                       the time names a zone; --to 2026-04-01 ends with March 31)
  --shares F,F         M officers' share files (as written by \`parley compliance archive init\`)
  --hsm-wrapped FILE   or the secret wrapped by your HSM (init --hsm-out; PARLEY_PKCS11_* name the token)
  --out DIR            the bundle's directory (new or empty)
  --zip FILE           also pack the bundle into FILE (outside DIR)
  --officer-key PEM    your Ed25519 signing key (PKCS#8 PEM, e.g. \`openssl genpkey -algorithm ed25519\`);
                       without it a new key is made and saved next to the bundle as DIR.officer-key.pem

Needs owner or a role with org.manage_compliance. The archive secret is rebuilt here and never sent;
the server records each read of the archive and the export itself (the manifest's SHA-256) in the
audit log. Every message is in the bundle, also those deleted later (marked) and those only a legal
hold kept; an item whose content cannot be read (its epoch's history key was never sealed to the
archive) is kept with the reason. Check a bundle with \`parley compliance verify-bundle DIR\`.`,
  options: {
    channel: { type: "string" },
    user: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    shares: { type: "string" },
    "hsm-wrapped": { type: "string" },
    out: { type: "string" },
    zip: { type: "string" },
    "officer-key": { type: "string" },
  },
  async run(ctx) {
    const refs = list(str(ctx.opts, "channel"));
    const userRef = str(ctx.opts, "user");
    if (refs.length > 0 === (userRef !== undefined))
      throw new UsageError(`give --channel or --user, not both and not neither (usage: parley compliance export ${USAGE})`);
    const from = bound(ctx, "from");
    const to = bound(ctx, "to");
    if (from && to && from.ms >= to.ms) throw new UsageError("--from must be before --to");
    const out = str(ctx.opts, "out");
    if (!out) throw new UsageError(`--out is required (usage: parley compliance export ${USAGE})`);
    const zip = str(ctx.opts, "zip");
    const keyFile = str(ctx.opts, "officer-key");
    const savedKey = keyFile ? null : { privateKey: `${path.resolve(out)}.officer-key.pem`, publicKey: `${path.resolve(out)}.officer-key.pub.pem` };
    checkTargets(out, [...(zip ? [zip] : []), ...(savedKey ? [savedKey.privateKey, savedKey.publicKey] : [])]);
    const officer = keyFile ? null : generateOfficerKey();
    let signingKey;
    try {
      signingKey = loadOfficerKey(keyFile ? readKeyFile(keyFile) : officer!.privateKeyPem);
    } catch (err) {
      bundleRefusal(err);
    }

    const secret = await archiveSecretFrom(ctx.opts, ctx.env);
    const keys = archiveKeysFromSecret(secret);
    secret.fill(0);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "parley-export-"));
    try {
      const r = await withClient(ctx, async ({ api, session }) => {
        const { current } = await api.call("getArchivePolicy");
        if (!current) throw new CliError("no_archive", "the org has no compliance archive", "create it with `parley compliance archive init`");
        if (current.policy.signerKey !== b64(keys.signer.publicKey))
          throw new CliError(
            "shares_invalid",
            `these shares rebuild another archive's secret (signer ${archiveKeyFingerprint(keys.signer.publicKey)}), not this org's (signer ${archiveKeyFingerprint(Buffer.from(current.policy.signerKey, "base64"))})`,
            "use the share files of this org's archive",
          );
        const [{ channels: archived }, { users }, config] = await Promise.all([
          api.call("listArchivedChannels"),
          api.call("listUsers", { query: { includeDeactivated: "true" } }),
          api.call("getE2eeConfig"),
        ]);
        const person = people(users);
        let user: User | undefined;
        if (userRef !== undefined) {
          const clean = userRef.replace(/^@/, "");
          user = users.find((u) => u.id === clean) ?? users.find((u) => u.username === clean);
          if (!user) throw new CliError("not_found", `no user "${clean}" in this organisation`, "list them with `parley users`");
        }
        const channels = user ? archived : pickChannels(archived, refs);
        ctx.out.note(`Archive "${current.policy.name}" (policy version ${current.policy.version}): reading ${channels.length} channel(s)`);
        const read = await readArchive(
          {
            api,
            orgId: session.orgId,
            archivePrivateKey: keys.archive.privateKey,
            channels,
            person,
            from: from?.ms ?? null,
            to: to?.ms ?? null,
            userId: user?.id ?? null,
            note: (t) => ctx.out.note(t),
          },
          senderKeys(
            api,
            session.orgId,
            // The active directory key and those still in their overlap after a rotation.
            config.directoryKeys
              .filter((k) => k.verifiesUntil === null || k.verifiesUntil > Date.now())
              .map((k) => new Uint8Array(Buffer.from(k.publicKey, "base64"))),
          ),
        );
        if (read.keyMissing.length)
          ctx.out.note(
            `warning: ${read.keyMissing.length} item(s) whose epoch's history key is not in the archive (${read.keyMissing.slice(0, 10).join(", ")}${read.keyMissing.length > 10 ? ", …" : ""}): kept in the bundle, marked unavailable`,
          );
        if (read.relabelled)
          ctx.out.note(
            `warning: ${read.relabelled} item(s) whose server-side kind, thread or target differs from what the sender encrypted: the sender's is used`,
          );

        // A user's export holds the channels they are in or sent something in.
        const used = new Set(read.drafts.map((d) => d.item.channelId));
        const inBundle = user ? channels.filter((c) => used.has(c.id) || c.memberIds.includes(user.id)) : channels;
        const exportChannels: ExportChannel[] = inBundle.map((c) => ({ id: c.id, name: c.name, kind: c.kind, members: c.memberIds.map(person) }));
        if (officer && savedKey) {
          fs.writeFileSync(savedKey.privateKey, officer.privateKeyPem, { mode: 0o600, flag: "wx" });
          fs.writeFileSync(savedKey.publicKey, officer.publicKeyPem, { flag: "wx" });
          ctx.out.note(`Made a new officer signing key: ${savedKey.privateKey} (keep it secret) and ${savedKey.publicKey} (publish it)`);
        }
        const written = await writeEdiscoveryBundle(out, {
          channels: exportChannels,
          items: withAttachments(ctx, api, read, scratch),
          total: read.drafts.length,
          parameters: {
            orgId: session.orgId,
            channel: refs.length ? refs.join(",") : null,
            user: user ? user.username : null,
            from: from?.iso ?? null,
            to: to?.iso ?? null,
          },
          signingKey: signingKey!,
          generator: "parley compliance export",
          onProgress: bundleProgress(ctx),
        }).catch(bundleRefusal);
        if (zip) await zipEdiscoveryBundle(out, zip).catch(bundleRefusal);
        const manifestSha256 = createHash("sha256")
          .update(fs.readFileSync(path.join(out, MANIFEST_FILE)))
          .digest("hex");
        const counts = written.manifest.counts;
        const recorded = await api.call("recordArchiveExport", {
          body: {
            channelIds: inBundle.map((c) => c.id),
            userId: user?.id ?? null,
            from: from?.ms ?? null,
            to: to?.ms ?? null,
            items: counts.items,
            attachments: counts.attachments,
            manifestSha256,
            signerFingerprint: written.fingerprint,
          },
        });
        return {
          exportId: recorded.id,
          dir: out,
          zip: zip ?? null,
          counts,
          manifestSha256,
          fingerprint: written.fingerprint,
          officerKey: savedKey,
          keyBatches: read.batches,
          keyMissing: read.keyMissing,
        };
      });
      ctx.out.result(r, [
        `Wrote ${r.counts.items} item(s) from ${r.counts.channels} channel(s) to ${r.dir}${r.zip ? ` and ${r.zip}` : ""}: ${r.counts.messages} message(s), ${r.counts.edits} edit(s), ${r.counts.deletes} deletion(s), ${r.counts.reactions} reaction(s), ${r.counts.attachments} attachment(s).`,
        `Deleted later: ${r.counts.deletedLater}; kept by a legal hold: ${r.counts.legalHold}; content unavailable: ${r.counts.unavailable}; attachments unavailable: ${r.counts.attachmentsUnavailable}; signature failures: ${r.counts.signatureFailures}.`,
        `Key batches opened: ${r.keyBatches.opened}${r.keyBatches.failed ? ` (${r.keyBatches.failed} did not open)` : ""}.`,
        `Manifest SHA-256 ${r.manifestSha256}, signed by ${r.fingerprint}; recorded as export ${r.exportId}.`,
        `Check it with: parley compliance verify-bundle ${r.dir} --fingerprint '${r.fingerprint}'`,
      ]);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  },
};

function readKeyFile(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new CliError("bundle_bad_key", `cannot read --officer-key ${file}: ${(err as Error).message}`, "pass your Ed25519 private key in PEM", EXIT.error);
  }
}

export const complianceExportCommands: Command[] = [exportCommand, verifyBundleCommand];
