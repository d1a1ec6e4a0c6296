/**
 * The eDiscovery bundle `parley compliance export` writes (issue 11): the decrypted archive
 * items as JSON Lines, the attachments byte for byte, an HTML transcript per channel and an
 * .eml per item, and a manifest with the size and SHA-256 of every file, signed by the
 * exporting officer. Checked with {@link verifyEdiscoveryBundle} (verify.ts).
 *
 * Layout:
 *   messages.jsonl  attachments/<sha256>-<name>  rendering/<channel>.html
 *   rendering/<channel>/<seq>-<kind>.eml  README.txt  manifest.json  manifest.sig
 *
 * The manifest is written last, from the files as they are on disk: a write that fails
 * midway leaves a directory without a manifest, which verification reports as incomplete.
 */
import type { KeyObject } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { Zip, ZipDeflate, ZipPassThrough } from "fflate";
import { writeEml } from "./eml.ts";
import { hashFile, listFiles, openSink, writeAttachment, type Sink } from "./files.ts";
import { htmlFoot, htmlHead, htmlItem } from "./html.ts";
import {
  BundleError,
  channelBase,
  checkItem,
  emlPath,
  itemRecord,
  type ExportChannel,
  type ExportItem,
  type ExportParameters,
  type WrittenAttachment,
} from "./items.ts";
import { MANIFEST_FILE, SIGNATURE_FILE, readme, signManifest, type BundleCounts, type BundleManifest, type ManifestChannel } from "./manifest.ts";
import { officerKeyFingerprint } from "./officer-key.ts";

/** Progress: items written, then files hashed for the manifest. */
export interface BundleProgress {
  step: "items" | "hashing";
  done: number;
  /** Null when the item count was not given. */
  total: number | null;
}

/** What {@link writeEdiscoveryBundle} needs. */
export interface BundleInput {
  channels: ExportChannel[];
  /** Items in seq order within each channel (channels may interleave). */
  items: Iterable<ExportItem> | AsyncIterable<ExportItem>;
  /** How many items, for progress (an array's length by default). */
  total?: number;
  parameters: ExportParameters;
  /** The officer's Ed25519 private key (see loadOfficerKey). */
  signingKey: KeyObject;
  /** Named in the manifest, e.g. "parley 0.1.0". */
  generator?: string;
  /** Domain of the made-up mail addresses in the .eml files (default parley.invalid). */
  mailDomain?: string;
  /** The bundle's creation time (default now). */
  createdAt?: Date;
  onProgress?: (p: BundleProgress) => void;
}

/** A written bundle. */
export interface BundleResult {
  dir: string;
  manifest: BundleManifest;
  /** The signer's fingerprint, to show the officer. */
  fingerprint: string;
}

const HTML_FLUSH = 64 * 1024;

/** One channel's transcript, buffered and appended in chunks (a user export can span hundreds of channels). */
interface Transcript {
  file: string;
  pending: string;
  items: number;
}

async function appendTranscript(t: Transcript, html: string, force = false): Promise<void> {
  t.pending += html;
  if (force || t.pending.length >= HTML_FLUSH) {
    await fsp.appendFile(t.file, t.pending);
    t.pending = "";
  }
}

async function prepareTarget(dir: string): Promise<void> {
  try {
    if ((await fsp.readdir(dir)).length) throw new BundleError("bundle_bad_target", `${dir} is not empty: a bundle goes into a new or empty directory`);
  } catch (err) {
    if (err instanceof BundleError) throw err;
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new BundleError("bundle_bad_target", `${dir} cannot be used: ${(err as Error).message}`);
  }
  await fsp.mkdir(dir, { recursive: true });
}

function emptyCounts(channels: number): BundleCounts {
  return {
    channels,
    items: 0,
    messages: 0,
    edits: 0,
    deletes: 0,
    reactions: 0,
    attachments: 0,
    attachmentsUnavailable: 0,
    unavailable: 0,
    deletedLater: 0,
    legalHold: 0,
    signatureFailures: 0,
  };
}

const KIND_COUNT = { message: "messages", edit: "edits", delete: "deletes", reaction: "reactions" } as const;

/**
 * Writes a signed bundle into `dir` (created; it must not exist or be empty).
 * Errors: BundleError `bundle_bad_target`, `bundle_bad_item` (checked item by item: files
 * already written stay, without a manifest); errors of the item or attachment streams pass through.
 */
export async function writeEdiscoveryBundle(dir: string, input: BundleInput): Promise<BundleResult> {
  const channels = new Map<string, ExportChannel>();
  const bases = new Set<string>();
  for (const c of input.channels) {
    const base = channelBase(c);
    if (channels.has(c.id) || bases.has(base)) throw new BundleError("bundle_bad_item", `channel ${c.id} is listed twice`);
    channels.set(c.id, c);
    bases.add(base);
  }
  await prepareTarget(dir);
  const createdAt = (input.createdAt ?? new Date()).toISOString();
  const generator = input.generator ?? "parley";
  const domain = input.mailDomain && /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(input.mailDomain) ? input.mailDomain : "parley.invalid";
  const total = input.total ?? (Array.isArray(input.items) ? input.items.length : null);
  const counts = emptyCounts(channels.size);
  const attachmentPaths = new Set<string>();
  const lastSeq = new Map<string, number>();

  await fsp.mkdir(path.join(dir, "attachments"));
  await fsp.mkdir(path.join(dir, "rendering"));
  const transcripts = new Map<string, Transcript>();
  for (const c of channels.values()) {
    const t = { file: path.join(dir, ...`${channelBase(c)}.html`.split("/")), pending: "", items: 0 };
    transcripts.set(c.id, t);
    await appendTranscript(t, htmlHead(c, input.parameters, createdAt, generator), true);
  }

  const jsonl: Sink = await openSink(path.join(dir, "messages.jsonl"));
  try {
    for await (const item of input.items) {
      const sentAt = checkItem(item, channels, lastSeq);
      const channel = channels.get(item.channelId)!;
      const files: WrittenAttachment[] = [];
      for (const a of item.attachments ?? []) files.push(await writeAttachment(dir, a));
      const eml = emlPath(channel, item);
      const emlSink = await openSink(path.join(dir, ...eml.split("/")));
      try {
        await writeEml(emlSink, { channel, item, sentAt, files, domain, bundleDir: dir });
      } finally {
        await emlSink.close();
      }
      await jsonl.write(JSON.stringify(itemRecord(item, channel, sentAt, files, eml)) + "\n");
      const t = transcripts.get(channel.id)!;
      t.items++;
      await appendTranscript(t, htmlItem(item, sentAt, files, eml));

      counts.items++;
      counts[KIND_COUNT[item.kind]]++;
      for (const f of files) {
        if ("path" in f) attachmentPaths.add(f.path);
        else counts.attachmentsUnavailable++;
      }
      if (item.unavailable !== undefined) counts.unavailable++;
      if (item.deletedLater) counts.deletedLater++;
      if (item.legalHold) counts.legalHold++;
      if (item.signature.status === "failed") counts.signatureFailures++;
      input.onProgress?.({ step: "items", done: counts.items, total });
    }
  } finally {
    await jsonl.close();
  }
  counts.attachments = attachmentPaths.size;
  for (const t of transcripts.values()) await appendTranscript(t, htmlFoot(t.items), true);
  const fingerprint = officerKeyFingerprint(input.signingKey);
  await fsp.writeFile(path.join(dir, "README.txt"), readme(generator, createdAt, fingerprint), { flag: "wx" });

  const found = await listFiles(dir);
  const files = [];
  for (const f of found) {
    files.push({ path: f.path, ...(await hashFile(path.join(dir, ...f.path.split("/")))) });
    input.onProgress?.({ step: "hashing", done: files.length, total: found.length });
  }
  const manifestChannels: ManifestChannel[] = [...channels.values()].map((c) => ({
    id: c.id,
    name: c.name,
    kind: c.kind,
    members: c.members.length,
    items: transcripts.get(c.id)!.items,
    html: `${channelBase(c)}.html`,
  }));
  const signed = signManifest(input.signingKey, { generator, createdAt, parameters: input.parameters, counts, channels: manifestChannels, files });
  await fsp.writeFile(path.join(dir, MANIFEST_FILE), signed.bytes, { flag: "wx" });
  await fsp.writeFile(path.join(dir, SIGNATURE_FILE), signed.signature, { flag: "wx" });
  return { dir, manifest: signed.manifest, fingerprint };
}

const DEFLATED = /\.(jsonl|json|html|eml|txt)$/;

/**
 * Packs a bundle directory into one .zip (entries under the directory's name; text deflated,
 * attachments stored as they are), streamed file by file. The zip must go outside the bundle.
 * Errors: BundleError `bundle_bad_target` (zip path inside the bundle).
 */
export async function zipEdiscoveryBundle(dir: string, zipFile: string): Promise<void> {
  const rel = path.relative(path.resolve(dir), path.resolve(zipFile));
  if (!rel.startsWith("..") && !path.isAbsolute(rel)) throw new BundleError("bundle_bad_target", "the zip file must go outside the bundle directory");
  const top = path.basename(path.resolve(dir));
  const out = createWriteStream(zipFile, { flags: "wx" });
  let failure: Error | null = null;
  out.on("error", (err) => (failure = err));
  const zip = new Zip((err, chunk, final) => {
    if (err) failure = err;
    else out.write(chunk);
    if (final) out.end();
  });
  const finished = new Promise<void>((resolve, reject) => {
    out.on("close", () => (failure ? reject(failure) : resolve()));
  });
  try {
    for (const f of await listFiles(dir)) {
      if (!f.regular) continue;
      const name = `${top}/${f.path}`;
      const entry = DEFLATED.test(f.path) ? new ZipDeflate(name, { level: 6 }) : new ZipPassThrough(name);
      zip.add(entry);
      for await (const chunk of createReadStream(path.join(dir, ...f.path.split("/"))) as AsyncIterable<Buffer>) {
        entry.push(chunk);
        if (out.writableNeedDrain) await new Promise<void>((r) => out.once("drain", () => r()));
        if (failure) throw failure;
      }
      entry.push(new Uint8Array(0), true);
    }
    zip.end();
  } catch (err) {
    finished.catch(() => undefined);
    zip.terminate();
    out.destroy();
    await fsp.rm(zipFile, { force: true });
    throw err;
  }
  await finished;
}
