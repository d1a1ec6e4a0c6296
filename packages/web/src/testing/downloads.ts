/**
 * Downloads in component tests: jsdom has no object URLs, so the saved blobs are caught here and
 * the download link's click does nothing (the browser tests save real files).
 */
import { vi } from "vitest";

/** Catch what the page saves (save-blob.ts) until `restore()`. */
export function catchDownloads(): { blobs: Blob[]; clicks: () => number; restore: () => void } {
  const blobs: Blob[] = [];
  vi.stubGlobal(
    "URL",
    class extends URL {
      static override createObjectURL = (b: Blob) => (blobs.push(b), "blob:download");
      static override revokeObjectURL = () => undefined;
    },
  );
  const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
  return {
    blobs,
    clicks: () => click.mock.calls.length,
    restore: () => {
      vi.unstubAllGlobals();
      vi.restoreAllMocks();
    },
  };
}
