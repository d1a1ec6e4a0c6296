/**
 * "Reset encryption" in a real browser: the owner (the channel's admin) and a
 * member chat in a channel; the owner resets the channel's encryption from the
 * security panel (after a confirm dialog); both see the reset row in the
 * timeline, messages flow both ways in the new group, the earlier messages stay
 * readable (also after a reload, from the device's own history), and the member
 * is not offered the action. Screenshots (reset-panel, reset-dialog, reset-timeline) go to
 * test-results/screenshots/ (docs/screenshots/ holds copies picked by hand).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { browserSuite, createAndJoinChannel, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

/** The message article containing `text` in the main channel view. */
const msg = (page: Page, text: string) => page.locator("main article.msg", { hasText: text });

async function send(page: Page, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: "Message #ops" });
  await box.fill(text);
  await box.press("Enter");
}

/** On failure, what the page's timeline showed (and why rows could not be decrypted). */
async function explained<T>(page: Page, what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const shown = await page
      .locator("main")
      .innerText()
      .catch(() => "(unreadable)");
    const reasons = await page
      .locator("main .msg-body.undecryptable")
      .evaluateAll((els) => els.map((e) => e.getAttribute("title")))
      .catch(() => []);
    console.log(`${what} failed; the timeline showed:\n${shown}\nundecryptable: ${JSON.stringify(reasons)}\npage errors: ${JSON.stringify(suite.errors)}`);
    throw err;
  }
}

/** Every message shows its text: none is "Unable to decrypt". */
async function assertReadable(page: Page, texts: string[]): Promise<void> {
  await explained(page, "readable history", async () => {
    for (const t of texts) await msg(page, t).locator(".msg-body").getByText(t).waitFor();
  });
  assert.equal(await page.locator("main .msg-body.undecryptable").count(), 0);
}

test("reset encryption: the admin resets from the security panel, both keep chatting, history stays readable", { timeout: 300_000 }, async () => {
  const owner = await bootstrapOrg(suite.server, { orgSlug: "reset", username: "alice" });
  await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Builder" });
  const alice = await newUserPage(suite.browser, suite.errors);
  const bob = await newUserPage(suite.browser, suite.errors);
  await signIn(alice, suite.server.url, "reset", "alice", { deviceName: "Alice laptop", until: "signed-in" });
  await signIn(bob, suite.server.url, "reset", "bob", { deviceName: "Bob desktop", until: "signed-in" });
  await createAndJoinChannel(alice, bob, "ops");

  // ---- chat in the channel's first group ------------------------------------------
  await send(alice, "before the reset, from Alice");
  await msg(bob, "before the reset, from Alice").waitFor({ timeout: 60_000 });
  await send(bob, "before the reset, from Bob");
  await msg(alice, "before the reset, from Bob").waitFor({ timeout: 60_000 });

  // ---- the member is not offered the action -----------------------------------------
  await bob
    .locator(".channel-head")
    .getByRole("button", { name: /Encrypted/ })
    .click();
  const bobPanel = bob.getByRole("dialog", { name: "End-to-end encryption" });
  await bobPanel.getByRole("heading", { name: /verify their safety numbers/ }).waitFor();
  assert.equal(await bobPanel.getByRole("button", { name: /Reset encryption/ }).count(), 0);
  await bob.keyboard.press("Escape");
  await bobPanel.waitFor({ state: "detached" });

  // ---- the admin resets, after a dialog that says what happens ------------------------
  await alice
    .locator(".channel-head")
    .getByRole("button", { name: /Encrypted/ })
    .click();
  const action = alice.getByRole("dialog", { name: "End-to-end encryption" }).getByRole("button", { name: "Reset encryption…" });
  await action.scrollIntoViewIfNeeded();
  await shot(alice, "reset-panel");
  await action.click();
  const confirm = alice.getByRole("dialog", { name: "Reset encryption?" });
  await confirm.getByText("Messages already read stay readable").waitFor();
  await shot(alice, "reset-dialog");
  await confirm.getByRole("button", { name: "Reset encryption", exact: true }).click();
  await confirm.waitFor({ state: "detached", timeout: 60_000 });

  // ---- both see the reset row ---------------------------------------------------------
  await alice.getByRole("note", { name: "Encryption was reset by you" }).waitFor();
  const bobRow = bob.getByRole("note", { name: "Encryption was reset by Owner" });
  await bobRow.waitFor({ timeout: 60_000 });
  assert.match(await bobRow.innerText(), /generation 1/);

  // ---- messages both ways in the new group ---------------------------------------------
  await send(alice, "after the reset, from Alice");
  await explained(bob, "bob reads alice after the reset", () => msg(bob, "after the reset, from Alice").locator(".msg-body").waitFor({ timeout: 90_000 }));
  await send(bob, "after the reset, from Bob");
  await explained(alice, "alice reads bob after the reset", () => msg(alice, "after the reset, from Bob").locator(".msg-body").waitFor({ timeout: 90_000 }));
  const all = ["before the reset, from Alice", "before the reset, from Bob", "after the reset, from Alice", "after the reset, from Bob"];
  await assertReadable(alice, all);
  await assertReadable(bob, all);
  // The row sits between the old messages and the new ones.
  const order = await bob.locator("main .vrow").evaluateAll((rows) =>
    rows
      .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
      .map((r) => (r.querySelector(".reset-row") ? "reset" : (r.querySelector(".msg-body")?.textContent ?? "")))
      .filter(Boolean),
  );
  assert.deepEqual(order, [all[0], all[1], "reset", all[2], all[3]]);
  await shot(bob, "reset-timeline");

  // ---- the panel shows the new generation; after a reload the history is still readable ----
  await alice
    .locator(".channel-head")
    .getByRole("button", { name: /Encrypted/ })
    .click();
  await alice.getByTestId("channel-generation").getByText(/^1 /).waitFor();
  await alice.keyboard.press("Escape");
  await bob.reload();
  await bob.getByRole("heading", { name: "# ops" }).waitFor({ timeout: 30_000 });
  await bob.getByRole("note", { name: "Encryption was reset by Owner" }).waitFor();
  await assertReadable(bob, all);

  assert.deepEqual(
    suite.errors.filter((e) => !/status of 40[134]/.test(e)),
    [],
  );
});
