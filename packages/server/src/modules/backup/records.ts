/**
 * What the encrypted stream carries: a sequence of records, each
 *
 *   kind (u8) | name length (u16) | name (UTF-8) | content length (u64) | content
 *
 * First a `meta` record (JSON: format, dialect, schema, so an incompatible backup is
 * refused before anything is extracted), then one `item` per file (the database dump,
 * each blob), and last the `manifest` (JSON: every item's size and SHA-256 and the
 * summary the verify step compares). Nothing may follow the manifest.
 */

export const RECORD = { meta: 1, item: 2, manifest: 3 } as const;
export type RecordKind = (typeof RECORD)[keyof typeof RECORD];

/** The bytes that open a record of `size` content bytes. */
export function recordHead(kind: RecordKind, name: string, size: number): Buffer {
  const n = Buffer.from(name, "utf8");
  const head = Buffer.alloc(1 + 2 + n.length + 8);
  head.writeUInt8(kind, 0);
  head.writeUInt16BE(n.length, 1);
  n.copy(head, 3);
  head.writeBigUInt64BE(BigInt(size), 3 + n.length);
  return head;
}

export interface RecordHead {
  kind: RecordKind;
  name: string;
  size: number;
}

/** Reads records off an async source of byte chunks (the opened backup stream). */
export class RecordReader {
  private readonly it: AsyncIterator<Buffer>;
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    }
    return this.buf.length >= n;
  }

  private take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** The next record's head, or null at the clean end of the stream. */
  async next(): Promise<RecordHead | null> {
    if (!(await this.fill(1))) return null;
    if (!(await this.fill(3))) throw new Error("record head cut short");
    const kind = this.buf.readUInt8(0) as RecordKind;
    const nameLen = this.buf.readUInt16BE(1);
    if (!(await this.fill(3 + nameLen + 8))) throw new Error("record head cut short");
    const head = this.take(3 + nameLen + 8);
    const size = head.readBigUInt64BE(3 + nameLen);
    if (!Object.values(RECORD).includes(kind) || size > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("unknown record");
    return { kind, name: head.subarray(3, 3 + nameLen).toString("utf8"), size: Number(size) };
  }

  /** The content of the current record, `size` bytes, chunk by chunk. */
  async *body(size: number): AsyncGenerator<Buffer> {
    let left = size;
    while (left > 0) {
      if (!(await this.fill(1))) throw new Error("record content cut short");
      const piece = this.take(Math.min(left, this.buf.length));
      left -= piece.length;
      yield piece;
    }
  }

  /** The whole content of a small record (refused above `limit` bytes). */
  async all(size: number, limit: number): Promise<Buffer> {
    if (size > limit) throw new Error(`record of ${size} bytes is larger than ${limit}`);
    const parts: Buffer[] = [];
    for await (const p of this.body(size)) parts.push(p);
    return Buffer.concat(parts);
  }
}
