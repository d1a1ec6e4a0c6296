/** HTTP Range parsing for downloads: one `bytes=` range (multipart ranges are not served). */
import type { ByteRange } from "../../platform/blobs/index.ts";
import { AppError } from "../../core/errors.ts";

/**
 * The inclusive range a `Range` header asks for within `size` bytes, or
 * undefined for the whole file (no header, or a form we ignore as RFC 9110
 * allows: other units, several ranges). Unsatisfiable ranges throw 416.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0) throw unsatisfiable(size);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (Number(m[2] || size) < start) return undefined; // syntactically invalid (last < first): ignore
  }
  if (start >= size || end < start) throw unsatisfiable(size);
  return { start, end };
}

const unsatisfiable = (size: number) => new AppError("range_not_satisfiable", `the file is ${size} bytes long`, { size });
