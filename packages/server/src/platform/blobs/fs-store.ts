/**
 * Filesystem BlobStore: one file per blob under `<root>/<shard>/<id>`, the
 * shard being the id's last two characters so no directory grows huge.
 * Appends are fsynced before they resolve, so an acknowledged chunk survives
 * a crash. One append per blob at a time on this node (BlobBusyError);
 * across nodes sharing a volume the database offset check in the files
 * module is the guard, and the S3 implementation will bring its own.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { consumeStream } from "./consume.ts";
import { assertBlobId, BlobBusyError, BlobOffsetError, BlobTooLargeError, type BlobStore, type ByteRange } from "./blob-store.ts";

export function fsBlobStore(root: string): BlobStore {
  const busy = new Set<string>();
  const fileOf = (id: string): string => {
    assertBlobId(id);
    return path.join(root, id.slice(-2), id);
  };

  async function syncDir(dir: string): Promise<void> {
    // Makes the new directory entry itself durable (POSIX); not supported on every platform.
    const d = await fsp.open(dir, "r").catch(() => undefined);
    if (!d) return;
    try {
      await d.sync();
    } catch {
      /* e.g. Windows: directory fsync unsupported */
    } finally {
      await d.close();
    }
  }

  return {
    async create(id) {
      const file = fileOf(id);
      await fsp.mkdir(path.dirname(file), { recursive: true });
      const fh = await fsp.open(file, "a");
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await syncDir(path.dirname(file));
    },

    async append(id, offset, data, maxBytes) {
      const file = fileOf(id);
      if (busy.has(id)) throw new BlobBusyError("another upload to this file is in progress");
      busy.add(id);
      try {
        const fh = await fsp.open(file, "r+");
        try {
          const { size } = await fh.stat();
          if (size < offset) throw new BlobOffsetError(size);
          // Bytes beyond the acknowledged offset come from an append that never completed.
          if (size > offset) await fh.truncate(offset);
          let pos = offset;
          try {
            await consumeStream(data, async (chunk) => {
              if (pos - offset + chunk.length > maxBytes) throw new BlobTooLargeError(`more than ${maxBytes} bytes`);
              let done = 0;
              while (done < chunk.length) done += (await fh.write(chunk, done, chunk.length - done, pos + done)).bytesWritten;
              pos += chunk.length;
            });
          } catch (err) {
            // Too large or the client went away: keep nothing of this append.
            await fh.truncate(offset);
            throw err;
          }
          await fh.sync();
          return pos;
        } finally {
          await fh.close();
        }
      } finally {
        busy.delete(id);
      }
    },

    async size(id) {
      try {
        return (await fsp.stat(fileOf(id))).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
      }
    },

    async read(id, range?: ByteRange) {
      // Open first so a missing blob fails here, not mid-stream; the stream owns the handle.
      const fh = await fsp.open(fileOf(id), "r");
      return fh.createReadStream(range ? { start: range.start, end: range.end } : {}) as unknown as Readable;
    },

    async delete(id) {
      await fsp.rm(fileOf(id), { force: true });
    },

    async list() {
      if (!fs.existsSync(root)) return [];
      const out: string[] = [];
      for (const shard of await fsp.readdir(root)) {
        const dir = path.join(root, shard);
        if (!(await fsp.stat(dir)).isDirectory()) continue;
        out.push(...(await fsp.readdir(dir)));
      }
      return out.sort();
    },
  };
}
