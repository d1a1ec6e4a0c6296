/**
 * Saved messages and drafts in the web app (issue 13, ADR 0009), against a real Parley server:
 * Alice sets up her recovery key on her laptop, saves a message from its menu and leaves a draft
 * in #launch; on her phone (a second browser, restored with the key) the Saved view lists the
 * message, decrypted, and opens it in its channel, and the composer of #launch shows the draft.
 * The server's rows hold neither the text nor the channel. An admin's custom emoji shows as its
 * image in a message and as a reaction picked from the emoji picker. Screenshots
 * (test-results/screenshots/; copies in docs/screenshots/): saved-messages, emoji-picker.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { bootstrapOrg } from "@parley/server/testing/factories";
import { browserSuite, createChannel, newUserPage, setUpRecovery, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

/** A real w×h RGBA PNG of one colour (what a browser decodes and draws). */
function png(w: number, h: number, rgba: [number, number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(zlib.crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.of(0), Buffer.concat(Array.from({ length: w }, () => Buffer.from(rgba)))]);
  const pixels = zlib.deflateSync(Buffer.concat(Array.from({ length: h }, () => row)));
  return Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), chunk("IHDR", ihdr), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}
const unexpectedErrors = () => suite.errors.filter((e) => !/status of 40[0-9]/.test(e));

test("a message saved and a draft typed on one device show on the user's other device; the server stores neither", { timeout: 300_000 }, async () => {
  const owner = await bootstrapOrg(suite.server, { orgSlug: "saved", orgName: "Acme Saved", username: "alice", displayName: "Alice Owner" });
  const up = await owner.api("PUT", "/emoji/shipit", { contentType: "image/png", data: png(32, 32, [230, 80, 20, 255]).toString("base64") });
  assert.equal(up.status, 201, JSON.stringify(up.body));
  const laptop = await newUserPage(suite.browser, suite.errors);
  await signIn(laptop, suite.server.url, "saved", "alice", { deviceName: "Alice laptop", until: "signed-in" });
  const key = await setUpRecovery(laptop);

  await createChannel(laptop, "launch");
  const box = laptop.getByRole("textbox", { name: "Message #launch" });
  for (const text of ["kick-off is at nine", "the release is on Friday at 14:00", "retro next week"]) {
    await box.fill(text);
    await box.press("Enter");
  }
  const msg = laptop.locator("main article.msg", { hasText: "the release is on Friday" });
  await msg.waitFor({ timeout: 60_000 });
  await msg.hover();
  await msg.getByRole("button", { name: "Save message" }).click();
  await msg.getByRole("button", { name: "Remove from saved" }).waitFor();
  await box.fill("draft: ask about the rollback plan");
  // Saved after a pause in typing; switching away saves it too.
  await laptop.waitForTimeout(1500);
  await laptop.getByRole("link", { name: "Saved" }).click();
  await laptop.getByRole("list", { name: "Saved messages" }).getByText("the release is on Friday at 14:00").waitFor();

  // The phone: another device of alice, restored with the recovery key.
  const phone = await newUserPage(suite.browser, suite.errors);
  await signIn(phone, suite.server.url, "saved", "alice", { deviceName: "Alice phone", until: "signed-in" });
  const banner = phone.getByTestId("recovery-banner");
  await banner.getByRole("button", { name: "Enter recovery key" }).click({ timeout: 30_000 });
  const dialog = phone.getByRole("dialog", { name: "Enter your recovery key" });
  await dialog.getByLabel("Recovery key").fill(key);
  await dialog.getByRole("button", { name: "Restore my history" }).click();
  await dialog.waitFor({ state: "detached", timeout: 60_000 });

  await phone.getByRole("link", { name: "Saved" }).click();
  const list = phone.getByRole("list", { name: "Saved messages" });
  const item = list.getByRole("link", { name: /the release is on Friday at 14:00/ });
  await item.waitFor({ timeout: 30_000 });
  assert.match((await item.textContent()) ?? "", /Alice Owner.*#launch/);
  await shot(phone, "saved-messages");
  await item.click();
  await phone.waitForURL(/\/c\/[^?]+\?at=\d+/);
  await phone.getByRole("heading", { name: "# launch" }).waitFor();
  const phoneBox = phone.getByRole("textbox", { name: "Message #launch" });
  await phone.waitForFunction(
    () => (document.querySelector('textarea[aria-label="Message #launch"]') as HTMLTextAreaElement | null)?.value.includes("rollback plan"),
    null,
    {
      timeout: 30_000,
    },
  );
  assert.equal(await phoneBox.inputValue(), "draft: ask about the rollback plan");

  // What the server holds: sealed items under opaque keys.
  const rows = await suite.server.deps.db.selectFrom("personal_items").selectAll().execute();
  assert.ok(rows.some((r) => r.kind === "saved") && rows.some((r) => r.kind === "draft"));
  const channel = await suite.server.deps.db.selectFrom("channels").select("id").where("name", "=", "launch").executeTakeFirstOrThrow();
  const stored = Buffer.concat(rows.flatMap((r) => [Buffer.from(r.item_key), Buffer.from(r.sealed ?? new Uint8Array())]));
  for (const needle of ["release is on Friday", "rollback plan", channel.id]) assert.equal(stored.includes(Buffer.from(needle)), false, needle);

  // Custom emoji: the shortcode in a message shows the org's image; the picker offers it as a reaction, then as frequently used.
  await phoneBox.fill("ready to ship :shipit:");
  await phoneBox.press("Enter");
  const shipped = laptop.locator("main article.msg", { hasText: "ready to ship" });
  await laptop.getByRole("link", { name: /^Channel launch/ }).click();
  await shipped.getByRole("img", { name: ":shipit:" }).waitFor({ timeout: 30_000 });
  await shipped.hover();
  await shipped.getByRole("button", { name: "Add reaction" }).click();
  await laptop.getByRole("menuitem", { name: "More emoji" }).click();
  const picker = laptop.getByRole("dialog", { name: "Pick any reaction" });
  await picker.getByRole("region", { name: "Custom" }).getByRole("img", { name: ":shipit:" }).waitFor();
  await shot(laptop, "emoji-picker");
  await picker.getByRole("region", { name: "Custom" }).getByRole("button", { name: ":shipit:" }).click();
  const reaction = shipped.getByRole("group", { name: "Reactions" }).getByRole("button", { name: /^:shipit: 1/ });
  await reaction.getByRole("img", { name: ":shipit:" }).waitFor({ timeout: 30_000 });
  await laptop.getByRole("button", { name: "Insert emoji" }).click();
  await laptop
    .getByRole("dialog", { name: "Insert emoji" })
    .getByRole("region", { name: "Frequently used" })
    .getByRole("button", { name: ":shipit:" })
    .waitFor();
  assert.deepEqual(unexpectedErrors(), []);
});
