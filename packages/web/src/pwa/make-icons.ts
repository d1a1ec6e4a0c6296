/**
 * Renders the app icons as PNG (no image library: a tiny rasteriser and
 * zlib) from the same geometry as public/icon.svg, so the install prompt and
 * home screens get real bitmaps at the sizes they ask for (192, 512).
 *
 * "any" icons keep the rounded square; "maskable" ones fill the whole canvas
 * (the launcher applies its own mask) with the glyph inside the 80% safe zone.
 *
 * Run: node packages/web/src/pwa/make-icons.ts  (writes packages/web/public/icons/)
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

const OUT = fileURLToPath(new URL("../../public/icons/", import.meta.url));
const BG: Rgb = [0x4f, 0x46, 0xe5];
const FG: Rgb = [0xff, 0xff, 0xff];
type Rgb = [number, number, number];

/** Inside a rounded rectangle (x0,y0)-(x1,y1) with corner radius r. */
function inRoundRect(x: number, y: number, x0: number, y0: number, x1: number, y1: number, r: number): boolean {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** Inside the triangle (a, b, c). */
function inTriangle(x: number, y: number, a: number[], b: number[], c: number[]): boolean {
  const s = (p: number[], q: number[]) => (x - q[0]!) * (p[1]! - q[1]!) - (p[0]! - q[0]!) * (y - q[1]!);
  const d1 = s(a, b),
    d2 = s(b, c),
    d3 = s(c, a);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
}

/** Colour at (x, y) in the SVG's 64x64 space, or undefined for transparent. */
function sample(x: number, y: number, maskable: boolean): Rgb | undefined {
  const bubble = inRoundRect(x, y, 12, 20, 52, 42, 4) || inTriangle(x, y, [20, 41], [31, 41], [20, 50]);
  if (bubble) return FG;
  if (maskable || inRoundRect(x, y, 0, 0, 64, 64, 14)) return BG;
  return undefined;
}

/** RGBA pixels, 4x4 supersampled so edges are smooth. */
function render(size: number, maskable: boolean): Buffer {
  const px = Buffer.alloc(size * size * 4);
  const SS = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const c = sample(((x + (sx + 0.5) / SS) * 64) / size, ((y + (sy + 0.5) / SS) * 64) / size, maskable);
          if (!c) continue;
          r += c[0];
          g += c[1];
          b += c[2];
          a++;
        }
      }
      const o = (y * size + x) * 4;
      if (a) {
        px[o] = Math.round(r / a);
        px[o + 1] = Math.round(g / a);
        px[o + 2] = Math.round(b / a);
      }
      px[o + 3] = Math.round((a * 255) / (SS * SS));
    }
  }
  return px;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A truecolour+alpha PNG of `size` x `size`. */
export function iconPng(size: number, maskable: boolean): Buffer {
  const px = render(size, maskable);
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) px.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6; // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.mkdirSync(OUT, { recursive: true });
  for (const size of [192, 512]) {
    fs.writeFileSync(path.join(OUT, `icon-${size}.png`), iconPng(size, false));
    fs.writeFileSync(path.join(OUT, `maskable-${size}.png`), iconPng(size, true));
  }
  fs.writeFileSync(path.join(OUT, "apple-touch-icon.png"), iconPng(180, true));
  console.log(`icons written to ${OUT}`);
}
