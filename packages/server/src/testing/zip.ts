/**
 * Reading a ZIP in tests outside the packages that depend on fflate (the browser tests unpack the
 * data-subject export the web app saved).
 */
import { strFromU8, unzipSync } from "fflate";

/** Every file of the ZIP `bytes` as UTF-8 text, by its path in the archive. */
export function zipTexts(bytes: Uint8Array): Record<string, string> {
  return Object.fromEntries(Object.entries(unzipSync(bytes)).map(([name, data]) => [name, strFromU8(data)]));
}
