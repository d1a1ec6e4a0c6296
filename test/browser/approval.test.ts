/**
 * History that follows the user (issue 9, done-means 1, device-approval variant), with the real
 * CLI and real browsers: alice and bob chat from the CLI (a message, an edit, a reaction, a file).
 * Alice signs in on a fresh browser and chooses "Approve from another device": once her CLI runs
 * `parley devices approve`, the browser shows a six-digit code, which she types into the CLI (the
 * CLI shows the same one). The browser then reads every earlier message, the edit, the reaction
 * and the file (byte-identical), with no "Unable to decrypt" anywhere. That browser, now approved,
 * approves her next browser through its own dialog (the code compared on both screens), and her
 * Devices page marks all three devices approved. A wrong code typed into the CLI approves nothing.
 * Screenshots: approval-new-device, approval-dialog, approval-devices.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { chatFromCli, expectCliHistory, msg } from "./cli-history.ts";
import { browserSuite, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

/** Open "Approve from another device" from the banner of a device that does not read the locker. */
async function askForApproval(page: Page) {
  const banner = page.getByTestId("recovery-banner");
  await banner.getByText("Messages from before this device signed in are locked").waitFor({ timeout: 30_000 });
  await banner.getByRole("button", { name: "Approve from another device" }).click();
  return page.getByRole("dialog", { name: "Approve this device" });
}

const codeOf = async (scope: ReturnType<Page["getByRole"]>) => (await scope.getByTestId("approval-code").innerText({ timeout: 60_000 })).replace(/\s/g, "");

test(
  "a user chats from the CLI, signs in on a fresh browser and approves it from the CLI: every earlier message, edit, reaction and file is readable; that browser approves the next one",
  { timeout: 300_000 },
  async (t) => {
    const url = suite.server.url;
    const owner = await bootstrapOrg(suite.server, { orgSlug: "approve", username: "alice" });
    await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Builder" });
    const { run, report } = await chatFromCli(t, url, "approve");

    // A fresh browser asks; a wrong code typed into the CLI approves nothing.
    const page = await newUserPage(suite.browser, suite.errors);
    await signIn(page, url, "approve", "alice", { deviceName: "Alice browser", until: "signed-in" });
    let dialog = await askForApproval(page);
    const wrong = await run(
      "alice",
      ["devices", "approve", "--wait", "60"],
      codeOf(dialog).then((c) => `${c.slice(0, 5)}${c.endsWith("0") ? "1" : "0"}\n`),
    );
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /codes differ.*NOT approved/);
    await dialog
      .getByRole("alert")
      .getByText(/declined/)
      .waitFor({ timeout: 30_000 });
    const approvedRows = await suite.server.deps.db.selectFrom("device_approvals").select("device_id").where("user_id", "=", owner.user.id).execute();
    assert.equal(approvedRows.length, 1, "only the CLI device (self-approved at setup) is approved");
    await dialog.getByRole("button", { name: "Close" }).click();

    // Again, with the right code: the CLI shows the same code and approves.
    dialog = await askForApproval(page);
    let browserCode = "";
    const approve = run(
      "alice",
      ["devices", "approve", "--wait", "60"],
      codeOf(dialog).then(async (c) => {
        browserCode = c;
        await shot(page, "approval-new-device");
        return `${c}\n`;
      }),
    );
    const done = await approve;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, new RegExp(`This device shows: ${browserCode.slice(0, 3)} ${browserCode.slice(3)}`), "both show the same code");
    await dialog.getByTestId("approval-done").waitFor({ timeout: 60_000 });
    await dialog.getByRole("button", { name: "Done" }).click();
    assert.equal(await page.getByTestId("recovery-banner").count(), 0, "the banner is gone");

    await expectCliHistory(page, report);

    // The approved browser approves the next one through its dialog.
    const tablet = await newUserPage(suite.browser, suite.errors);
    await signIn(tablet, url, "approve", "alice", { deviceName: "Alice tablet", until: "signed-in" });
    const asking = await askForApproval(tablet);
    const prompt = page.getByRole("dialog", { name: "Approve a new sign-in?" });
    await prompt.getByText("Alice tablet").waitFor({ timeout: 30_000 });
    await prompt.getByRole("button", { name: "It was me — compare codes" }).click();
    const shown = await codeOf(prompt);
    assert.equal(await codeOf(asking), shown, "both browsers show the same code");
    await shot(page, "approval-dialog");
    await prompt.getByRole("button", { name: "The codes match — approve" }).click();
    await prompt
      .getByTestId("approval-result")
      .getByText("is approved")
      .waitFor({ timeout: 30_000 })
      .catch(async (err: unknown) => {
        throw new Error(`the approving dialog shows: ${await prompt.innerText()}`, { cause: err });
      });
    await prompt.getByRole("button", { name: "Close" }).last().click();
    await asking.getByTestId("approval-done").waitFor({ timeout: 60_000 });
    await asking.getByRole("button", { name: "Done" }).click();
    await tablet.getByRole("link", { name: /^Channel general/ }).click();
    await msg(tablet, "bob agrees").waitFor({ timeout: 60_000 });
    assert.equal(await tablet.locator("main .msg-body.undecryptable").count(), 0);

    // All three devices are approved (verified with alice's identity key in the browser).
    await page.getByRole("link", { name: "Devices" }).click();
    const marks = page.getByTestId("device-approval");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="device-approval"]').length === 3, undefined, { timeout: 30_000 });
    assert.deepEqual(
      (await marks.allInnerTexts()).map((s) => s.trim()),
      ["approved", "approved", "approved"],
    );
    await shot(page, "approval-devices");
    assert.deepEqual(suite.errors, []);
  },
);
