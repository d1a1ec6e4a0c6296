/**
 * Encrypted attachments in the browser: Alice sends a binary file through the
 * paperclip's file input, an image, and a file dropped onto the channel (a
 * real drop event with a DataTransfer). Bob sees upload-free cards and an
 * image preview decrypted into a blob: URL, downloads both files and gets
 * them byte-identical (SHA-256 compared); a download whose ciphertext the
 * server altered is refused with a clear message. Find-in-channel matches the
 * decrypted text and file names on the device.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import type { Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { blobDirOf } from "../../packages/server/src/platform/blobs/index.ts";
import { browserSuite, createAndJoinChannel, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

/** A real w×h RGBA PNG (a gradient), so the browser can decode and render the preview. */
export function makePng(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc(h * (1 + w * 4));
  for (let y = 0; y < h; y++) {
    raw[y * (1 + w * 4)] = 0;
    for (let x = 0; x < w; x++) raw.set([x * 4, y * 4, 200, 255], y * (1 + w * 4) + 1 + x * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const sha256 = (b: Buffer | Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Click a file's download button and return the saved bytes. */
async function download(page: Page, name: string): Promise<Buffer> {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: `Download ${name}` }).click()]);
  assert.equal(dl.suggestedFilename(), name);
  return fs.readFileSync((await dl.path())!);
}

test("files: upload by file input and drop, image preview, byte-identical verified download", { timeout: 180_000 }, async () => {
  const owner = await bootstrapOrg(suite.server, { orgSlug: "files", username: "alice" });
  await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Builder" });
  const alice = await newUserPage(suite.browser, suite.errors);
  const bob = await newUserPage(suite.browser, suite.errors);
  await signIn(alice, suite.server.url, "files", "alice");
  await signIn(bob, suite.server.url, "files", "bob");

  await createAndJoinChannel(alice, bob, "design");
  const box = alice.getByRole("textbox", { name: "Message #design" });
  await box.fill("files coming");
  await box.press("Enter");
  await bob.locator("main article.msg", { hasText: "files coming" }).waitFor();

  // ---- paperclip: a 300 kB binary file and a PNG through the file input -------
  const binary = randomBytes(300_000);
  const png = makePng(48, 32);
  await alice.getByTestId("file-input").setInputFiles([
    { name: "report.bin", mimeType: "application/octet-stream", buffer: binary },
    { name: "pixel.png", mimeType: "image/png", buffer: png },
  ]);
  // Each upload shows progress until its message is sent.
  await alice.getByRole("group", { name: "Attachments" }).getByText("report.bin").waitFor();
  await alice.locator(".uploads").waitFor({ state: "detached" });

  // ---- drag and drop onto the channel --------------------------------------------
  const dropped = "dropped on the channel — " + randomBytes(8).toString("hex");
  const dt = await alice.evaluateHandle((text) => {
    const d = new DataTransfer();
    d.items.add(new File([text], "notes.txt", { type: "text/plain" }));
    return d;
  }, dropped);
  await alice.dispatchEvent(".drop-zone", "dragenter", { dataTransfer: dt });
  await alice.getByText(/Drop to send to #design/).waitFor();
  await alice.dispatchEvent(".drop-zone", "drop", { dataTransfer: dt });
  await alice.getByRole("group", { name: "Attachments" }).getByText("notes.txt").waitFor();

  // ---- Bob: cards, a decrypted image preview, byte-identical downloads -------------
  await bob.getByRole("button", { name: "Download report.bin" }).waitFor({ timeout: 30_000 });
  const img = bob.locator('img.attachment-image[alt="pixel.png"]');
  await img.waitFor({ timeout: 30_000 });
  assert.match((await img.getAttribute("src"))!, /^blob:/);
  await bob.waitForFunction(() => {
    const el = document.querySelector<HTMLImageElement>('img.attachment-image[alt="pixel.png"]');
    return !!el && el.complete && el.naturalWidth === 48 && el.naturalHeight === 32;
  });
  assert.equal(sha256(await download(bob, "report.bin")), sha256(binary));
  assert.equal(sha256(await download(bob, "pixel.png")), sha256(png));
  assert.equal((await download(bob, "notes.txt")).toString("utf8"), dropped);
  await bob.getByRole("group", { name: "Attachments" }).first().scrollIntoViewIfNeeded();
  await shot(bob, "files");

  // ---- find in the channel: on this device, over decrypted text and file names -------
  await bob.keyboard.press("Control+f");
  const find = bob.getByRole("searchbox", { name: "Find in this channel" });
  await find.fill("NOTES");
  await bob.getByRole("search").getByText("1 of 1").waitFor();
  await bob.locator("article.msg.search-current").getByText("notes.txt").waitFor();
  await find.fill("coming files");
  await bob.locator("article.msg.search-current", { hasText: "files coming" }).waitFor();
  await find.fill("nothing like this");
  await bob.getByRole("search").getByText("No results").waitFor();
  await find.press("Escape");
  await find.waitFor({ state: "detached" });

  // ---- the server alters a stored ciphertext: the download is refused ------------
  const blobs = blobDirOf(suite.server.deps.config);
  const files = fs
    .readdirSync(blobs, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile())
    .map((f) => path.join(f.parentPath, f.name));
  const target = files.find((f) => fs.statSync(f).size > 300_000)!;
  assert.ok(target, "the report's ciphertext blob is on disk");
  const bytes = fs.readFileSync(target);
  bytes[1000] = bytes[1000]! ^ 0xff;
  fs.writeFileSync(target, bytes);
  await bob.getByRole("button", { name: "Download report.bin" }).click();
  await bob
    .getByRole("alert")
    .filter({ hasText: /integrity check|does not match the digest/ })
    .waitFor();
  await shot(bob, "files-tampered");

  assert.deepEqual(
    suite.errors.filter((e) => !/status of 40[134]/.test(e)),
    [],
  );
});
