/**
 * File plumbing of the eDiscovery bundle: buffered writers, attachments streamed to disk
 * under their SHA-256, and the walk and hashes that the manifest and its verification share.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import fsp, { type FileHandle } from "node:fs/promises";
import path from "node:path";
import { safeFileName, type ExportAttachment, type WrittenAttachment } from "./items.ts";

/** A write-only file with a buffer (many small strings become few writes). */
export interface Sink {
  write(chunk: string | Uint8Array): Promise<void>;
  close(): Promise<void>;
}

const FLUSH_BYTES = 256 * 1024;

/** Creates `file` (never overwrites: the bundle's files are written once) and returns its sink. */
export async function openSink(file: string): Promise<Sink> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const fh: FileHandle = await fsp.open(file, "wx");
  let parts: Uint8Array[] = [];
  let size = 0;
  const flush = async () => {
    if (!size) return;
    const buf = Buffer.concat(parts, size);
    parts = [];
    size = 0;
    await fh.write(buf);
  };
  return {
    async write(chunk) {
      const b = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      parts.push(b);
      size += b.length;
      if (size >= FLUSH_BYTES) await flush();
    },
    async close() {
      try {
        await flush();
      } finally {
        await fh.close();
      }
    },
  };
}

async function* chunksOf(data: Uint8Array | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (data instanceof Uint8Array) yield data;
  else yield* data;
}

/**
 * Writes an attachment's bytes to `attachments/<sha256>-<safe name>` (streamed and hashed on
 * the way; the same bytes under the same name are stored once) and returns where it went.
 */
export async function writeAttachment(dir: string, a: ExportAttachment): Promise<WrittenAttachment> {
  if (a.data === undefined) return { name: a.name, contentType: a.contentType, unavailable: a.unavailable ?? "unavailable" };
  const partial = path.join(dir, "attachments", `.incoming-${randomBytes(8).toString("hex")}`);
  const sink = await openSink(partial);
  const hash = createHash("sha256");
  let size = 0;
  try {
    for await (const chunk of chunksOf(a.data)) {
      hash.update(chunk);
      size += chunk.length;
      await sink.write(chunk);
    }
  } catch (err) {
    await sink.close().catch(() => undefined);
    await fsp.rm(partial, { force: true });
    throw err;
  }
  await sink.close();
  const sha256 = hash.digest("hex");
  const rel = `attachments/${sha256}-${safeFileName(a.name)}`;
  const target = path.join(dir, ...rel.split("/"));
  if (await exists(target)) await fsp.unlink(partial);
  else await fsp.rename(partial, target);
  return { name: a.name, contentType: a.contentType, path: rel, size, sha256 };
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** A file found in a bundle directory: its bundle path (always '/'), and whether it is a plain file. */
export interface FoundFile {
  path: string;
  regular: boolean;
}

/** Every entry under `dir` except directories, sorted by path. Symbolic links are not followed. */
export async function listFiles(dir: string): Promise<FoundFile[]> {
  const entries = await fsp.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => ({ path: path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"), regular: e.isFile() }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Size and SHA-256 (hex) of a file, streamed. */
export async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest("hex") };
}
