/** For SDK tests that prove the server stored no plaintext: look for each needle in the stored bytes in the encodings a leak would take. */
import assert from "node:assert/strict";

/** Fail when `dump` holds any needle as UTF-8, UTF-16LE, base64 or hex. */
export function assertNotStored(dump: Buffer, needles: string[]): void {
  for (const needle of needles) {
    for (const enc of [
      Buffer.from(needle),
      Buffer.from(needle, "utf16le"),
      Buffer.from(Buffer.from(needle).toString("base64")),
      Buffer.from(Buffer.from(needle).toString("hex")),
    ]) {
      assert.equal(dump.includes(enc), false, `the server stored "${needle}"`);
    }
  }
}
