/**
 * S3-compatible BlobStore (PARLEY_BLOB_URL=s3://…): every node reads and writes the same
 * bucket, so any node serves any file. S3 objects are immutable, so a blob is a run of
 * **segment objects** `<prefix><id>/s<offset>` (offset zero-padded to 16 digits) plus an
 * empty marker `<prefix><id>/m` from `create`:
 * - append(offset) first deletes segments at or past `offset` (left by an append that was
 *   never acknowledged), then writes the stream as segments of at most SEGMENT bytes, each one
 *   PutObject (durable once it returns); a failed or oversize append deletes what it wrote;
 * - the blob's length is the contiguous run of segments from 0; reads list them and stream
 *   the ranged parts in order.
 * Resuming an upload therefore never re-sends acknowledged bytes, and no multipart upload is
 * left half-done in the bucket. One append per blob at a time on this node (BlobBusyError);
 * across nodes the files module's database offset check decides which append is acknowledged.
 */
import { Readable } from "node:stream";
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type _Object } from "@aws-sdk/client-s3";
import { consumeStream } from "./consume.ts";
import { assertBlobId, BlobBusyError, BlobOffsetError, BlobTooLargeError, type BlobStore, type ByteRange } from "./blob-store.ts";

/** Largest segment object (an append is buffered in memory up to this much at a time). */
const SEGMENT = 8 * 1048576;
const PAD = 16;

export interface S3Location {
  bucket: string;
  /** Key prefix, "" or ending in "/". */
  prefix: string;
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/**
 * `s3://[ACCESS_KEY:SECRET@]BUCKET[/PREFIX][?endpoint=URL&region=R&pathStyle=true]`. Without
 * credentials in the URL the AWS SDK's usual chain applies (AWS_ACCESS_KEY_ID, instance roles).
 */
export function parseBlobUrl(url: string): S3Location {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error("PARLEY_BLOB_URL must look like s3://BUCKET/PREFIX?endpoint=https://s3.example.com&region=eu-west-1");
  }
  if (u.protocol !== "s3:" || !u.hostname) throw new Error("PARLEY_BLOB_URL must start with s3://BUCKET");
  const prefix = decodeURIComponent(u.pathname.replace(/^\/+/, ""));
  const endpoint = u.searchParams.get("endpoint") ?? undefined;
  return {
    bucket: u.hostname,
    prefix: prefix && !prefix.endsWith("/") ? `${prefix}/` : prefix,
    endpoint,
    region: u.searchParams.get("region") ?? "us-east-1",
    // S3-compatible servers (MinIO, Ceph, Garage) usually want path-style addressing.
    forcePathStyle: (u.searchParams.get("pathStyle") ?? (endpoint ? "true" : "false")) === "true",
    credentials: u.username ? { accessKeyId: decodeURIComponent(u.username), secretAccessKey: decodeURIComponent(u.password) } : undefined,
  };
}

interface Segment {
  key: string;
  offset: number;
  size: number;
}

export function s3BlobStore(loc: S3Location): BlobStore {
  const client = new S3Client({
    region: loc.region,
    forcePathStyle: loc.forcePathStyle,
    ...(loc.endpoint ? { endpoint: loc.endpoint } : {}),
    ...(loc.credentials ? { credentials: loc.credentials } : {}),
  });
  const busy = new Set<string>();
  const dirOf = (id: string) => {
    assertBlobId(id);
    return `${loc.prefix}${id}/`;
  };
  const segmentKey = (id: string, offset: number) => `${dirOf(id)}s${String(offset).padStart(PAD, "0")}`;

  async function listAll(prefix: string, delimiter?: string): Promise<{ objects: _Object[]; prefixes: string[] }> {
    const objects: _Object[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const r = await client.send(
        new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: prefix, ContinuationToken: token, ...(delimiter ? { Delimiter: delimiter } : {}) }),
      );
      objects.push(...(r.Contents ?? []));
      prefixes.push(...(r.CommonPrefixes ?? []).map((p) => p.Prefix!).filter(Boolean));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return { objects, prefixes };
  }

  /** The blob's objects: whether it exists, and its segments in offset order. */
  async function inspect(id: string): Promise<{ exists: boolean; segments: Segment[] }> {
    const dir = dirOf(id);
    const { objects } = await listAll(dir);
    const segments = objects
      .filter((o) => o.Key!.slice(dir.length).startsWith("s"))
      .map((o) => ({ key: o.Key!, offset: Number(o.Key!.slice(dir.length + 1)), size: Number(o.Size ?? 0) }))
      .sort((a, b) => a.offset - b.offset);
    return { exists: objects.length > 0, segments };
  }

  /** The contiguous run from 0 (what was acknowledged) and the segments past it. */
  function contiguous(segments: Segment[]): { length: number; run: Segment[]; rest: Segment[] } {
    let length = 0;
    const run: Segment[] = [];
    for (const s of segments) {
      if (s.offset !== length || s.size === 0) break;
      run.push(s);
      length += s.size;
    }
    return { length, run, rest: segments.slice(run.length) };
  }

  async function deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      if (batch.length) await client.send(new DeleteObjectsCommand({ Bucket: loc.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
    }
  }

  const notFound = (id: string) => Object.assign(new Error(`blob ${id} not found`), { code: "ENOENT" });

  return {
    async create(id) {
      await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: `${dirOf(id)}m`, Body: new Uint8Array(0) }));
    },

    async append(id, offset, data, maxBytes) {
      dirOf(id);
      if (busy.has(id)) throw new BlobBusyError("another upload to this file is in progress");
      busy.add(id);
      const written: string[] = [];
      try {
        const { exists, segments } = await inspect(id);
        if (!exists) throw notFound(id);
        const { length, run, rest } = contiguous(segments);
        if (length < offset) throw new BlobOffsetError(length);
        // Segments at or past the acknowledged offset come from appends that never completed.
        const stale = [...run.filter((s) => s.offset >= offset), ...rest];
        if (run.some((s) => s.offset < offset && s.offset + s.size > offset)) throw new BlobOffsetError(length);
        await deleteKeys(stale.map((s) => s.key));
        let pos = offset;
        let buffered: Buffer[] = [];
        let bufferedLen = 0;
        const flush = async () => {
          if (bufferedLen === 0) return;
          const key = segmentKey(id, pos);
          const body = Buffer.concat(buffered, bufferedLen);
          buffered = [];
          bufferedLen = 0;
          written.push(key);
          await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: key, Body: body, ContentLength: body.length }));
          pos += body.length;
        };
        await consumeStream(data, async (chunk) => {
          if (pos + bufferedLen - offset + chunk.length > maxBytes) throw new BlobTooLargeError(`more than ${maxBytes} bytes`);
          let at = 0;
          while (at < chunk.length) {
            const take = Math.min(SEGMENT - bufferedLen, chunk.length - at);
            buffered.push(chunk.subarray(at, at + take));
            bufferedLen += take;
            at += take;
            if (bufferedLen === SEGMENT) await flush();
          }
        });
        await flush();
        return pos;
      } catch (err) {
        // Too large, the client went away or S3 failed: keep nothing of this append.
        await deleteKeys(written).catch(() => undefined);
        throw err;
      } finally {
        busy.delete(id);
      }
    },

    async size(id) {
      const { exists, segments } = await inspect(id);
      return exists ? contiguous(segments).length : undefined;
    },

    async read(id, range?: ByteRange) {
      const { exists, segments } = await inspect(id);
      if (!exists) throw notFound(id);
      const { length, run } = contiguous(segments);
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? length - 1, length - 1);
      async function* parts(): AsyncGenerator<Uint8Array> {
        for (const s of run) {
          const from = Math.max(start, s.offset);
          const to = Math.min(end, s.offset + s.size - 1);
          if (from > to) continue;
          const r = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: s.key, Range: `bytes=${from - s.offset}-${to - s.offset}` }));
          for await (const chunk of r.Body as AsyncIterable<Uint8Array>) yield chunk;
        }
      }
      return Readable.from(parts(), { objectMode: false });
    },

    async delete(id) {
      const { objects } = await listAll(dirOf(id));
      await deleteKeys(objects.map((o) => o.Key!));
    },

    async list() {
      const { prefixes } = await listAll(loc.prefix, "/");
      return prefixes.map((p) => p.slice(loc.prefix.length, -1)).sort();
    },

    close() {
      client.destroy();
    },
  };
}
