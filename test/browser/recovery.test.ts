/**
 * History that follows the user (issue 9, done-means 1, recovery-key variant), with the real CLI
 * and a real browser: alice and bob chat from the CLI (a message, an edit, a reaction, a file);
 * alice's first CLI sign-in prints her recovery key. Alice then signs in on a fresh browser: a
 * banner says her earlier messages are locked on it; a mistyped key is refused with nothing
 * changed; her key restores everything — every message, the edit, the reaction and the file
 * (downloaded byte-identical), and no "Unable to decrypt" anywhere. A user whose first device is
 * the browser sets the key up there: shown once, with copy and download, confirmed by its last
 * group, and replaces it later from the Devices page (the old recovery blob is gone). Screenshots:
 * recovery-banner, recovery-restore, recovery-restored, recovery-key-setup, recovery-key-devices.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { chatFromCli, expectCliHistory } from "./cli-history.ts";
import { browserSuite, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();
let org: ReturnType<typeof bootstrapOrg> | undefined;
/** The org both tests use (one setup per server). */
const ownerOf = () => (org ??= bootstrapOrg(suite.server, { orgSlug: "recover", username: "alice" }));

test(
  "a user chats from the CLI, then reads every earlier message, edit, reaction and file on a fresh browser with the recovery key",
  { timeout: 300_000 },
  async (t) => {
    const url = suite.server.url;
    const owner = await ownerOf();
    await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Builder" });
    const { report, recoveryKey } = await chatFromCli(t, url, "recover");
    assert.ok(recoveryKey, "alice's first device set up her key locker");

    // A fresh browser: a new device of alice's, with no other device online.
    const page = await newUserPage(suite.browser, suite.errors);
    await signIn(page, url, "recover", "alice", { deviceName: "Alice browser", until: "signed-in" });
    const banner = page.getByTestId("recovery-banner");
    await banner.getByText("Messages from before this device signed in are locked").waitFor({ timeout: 30_000 });
    await shot(page, "recovery-banner");
    await banner.getByRole("button", { name: "Enter recovery key" }).click();
    const dialog = page.getByRole("dialog", { name: "Enter your recovery key" });
    await dialog.getByLabel("Recovery key").fill(`${recoveryKey.slice(0, -1)}${recoveryKey.endsWith("0") ? "1" : "0"}`);
    await dialog.getByRole("button", { name: "Restore my history" }).click();
    await dialog
      .getByRole("alert")
      .getByText(/checksum.*Nothing on this device was changed/)
      .waitFor();
    await shot(page, "recovery-restore");
    await dialog.getByLabel("Recovery key").fill(recoveryKey.toLowerCase());
    await dialog.getByRole("button", { name: "Restore my history" }).click();
    await dialog.waitFor({ state: "detached", timeout: 60_000 });
    assert.equal(await banner.count(), 0, "the banner is gone");

    await expectCliHistory(page, report);
    await shot(page, "recovery-restored");
    assert.deepEqual(suite.errors, []);
  },
);

test(
  "a user whose first device is the browser sets up the recovery key (shown once, copy and download, confirmed by its last group) and replaces it from the Devices page",
  { timeout: 120_000 },
  async () => {
    const carol = await makeUser(suite.server, await ownerOf(), { username: "carol", displayName: "Carol" });
    const page = await newUserPage(suite.browser, suite.errors);
    await signIn(page, suite.server.url, "recover", "carol", { deviceName: "Carol browser", until: "signed-in" });
    const banner = page.getByTestId("recovery-banner");
    await banner.getByText("Protect your message history: set up a recovery key").waitFor({ timeout: 30_000 });
    await banner.getByRole("button", { name: "Set up recovery key" }).click();
    const dialog = page.getByRole("dialog", { name: "Save your recovery key" });
    const key = await dialog.getByTestId("recovery-key").innerText();
    assert.match(key.trim(), /^([0-9A-Z]{4}-){13}[0-9A-Z]{4}$/);
    const confirm = dialog.getByRole("button", { name: "I have saved my recovery key" });
    assert.equal(await confirm.isDisabled(), true, "not before the confirm step");
    const [dl] = await Promise.all([page.waitForEvent("download"), dialog.getByRole("button", { name: "Download" }).click()]);
    assert.match(fs.readFileSync((await dl.path())!, "utf8"), new RegExp(key.trim()));
    await dialog.getByLabel("Last four characters of the key").fill("0000");
    if (!key.trim().endsWith("0000")) assert.equal(await confirm.isDisabled(), true, "a wrong group does not confirm");
    await dialog.getByLabel("Last four characters of the key").fill(key.trim().slice(-4).toLowerCase());
    await shot(page, "recovery-key-setup");
    await confirm.click();
    await dialog.waitFor({ state: "detached" });
    assert.equal(await banner.count(), 0);
    const row = await suite.server.deps.db
      .selectFrom("user_lockers")
      .select(["user_id", "recovery_blob"])
      .where("user_id", "=", carol.user.id)
      .executeTakeFirst();
    assert.ok(row, "carol's locker is stored");

    // From this device (it reads the locker), the Devices page replaces the key after a confirm; the old blob is gone.
    await page.getByRole("link", { name: "Devices" }).click();
    await page.getByTestId("recovery-status").getByText("This device reads your key locker").waitFor();
    await shot(page, "recovery-key-devices");
    await page.getByRole("button", { name: "Create a new recovery key…" }).click();
    await page.getByRole("alertdialog", { name: "Replace your recovery key?" }).getByRole("button", { name: "Replace it" }).click();
    const fresh = page.getByRole("dialog", { name: "Your new recovery key" });
    const newKey = (await fresh.getByTestId("recovery-key").innerText()).trim();
    assert.notEqual(newKey, key.trim());
    await fresh.getByLabel("Last four characters of the key").fill(newKey.slice(-4));
    await fresh.getByRole("button", { name: "I have saved my recovery key" }).click();
    await fresh.waitFor({ state: "detached" });
    const after = await suite.server.deps.db.selectFrom("user_lockers").select("recovery_blob").where("user_id", "=", carol.user.id).executeTakeFirstOrThrow();
    assert.notDeepEqual(Buffer.from(after.recovery_blob), Buffer.from(row.recovery_blob), "the recovery blob was replaced");
    assert.deepEqual(suite.errors, []);
  },
);
