/** Human-readable sizes for attachments ("1.4 MB"), decimal units as file managers show them. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Whether a file's type can be previewed as an image in the browser (SVG excluded: it can carry script). */
export function isPreviewableImage(mime: string): boolean {
  return /^image\/(png|jpe?g|gif|webp|avif|bmp)$/i.test(mime);
}

/** Largest image decrypted automatically for a preview; bigger ones wait for a click. */
export const PREVIEW_MAX_BYTES = 10 * 1024 * 1024;
