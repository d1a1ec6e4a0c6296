/**
 * Home (no channel open) in a real browser: the app goes to the first channel, but not behind an
 * open dialog. A modal makes the page behind it inert: a channel opened there shows but takes no
 * typing until the dialog closes. (edits.test.ts failed now and then on it: the first channel,
 * created from the dialog, opened behind it when a membership item's refresh of the channel list
 * answered before the create's own, and the test typed into the inert composer.) And when a dialog
 * opens, its autoFocus field takes the typing (not the Close button), and when it goes, focus goes back
 * to the button that opened it, not to <body>.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bootstrapOrg, makeOrg, makeUser } from "@parley/server/testing/factories";
import { browserSuite, newUserPage, sdkDevice, signIn } from "./browser-support.ts";

const suite = browserSuite();

test("a channel that appears while a dialog is open opens once the dialog closes", { timeout: 120_000 }, async () => {
  const owner = await bootstrapOrg(suite.server, { orgSlug: "home", username: "alice", displayName: "Alice Admin" });
  const bob = await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Builder" });
  const page = await newUserPage(suite.browser, suite.errors);
  await signIn(page, suite.server.url, "home", "bob", { until: "welcome", live: true });
  await page.getByRole("button", { name: "Browse channels" }).click();
  const dialog = page.getByRole("dialog", { name: "Browse channels" });
  await dialog.waitFor();

  // Alice adds Bob to a new channel: the membership reaches Bob's device and its channel list.
  const alice = await sdkDevice(suite.server.url, "home", "alice", { live: true });
  try {
    await alice.createChannel({ name: "ops", kind: "private", topic: "", members: [bob.user.id], history: "shared" });
    await page.locator("nav.sidebar").getByText("ops").waitFor();
    // Bob stays home while the dialog is open (given time to go wrong)…
    await page.waitForTimeout(500);
    assert.equal(new URL(page.url()).pathname, "/");
    // …and lands in the channel as it closes, its composer taking typing at once.
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    const box = page.getByRole("textbox", { name: "Message #ops" });
    await box.fill("typed the moment it opened");
    assert.equal(await box.inputValue(), "typed the moment it opened");
    assert.match(new URL(page.url()).pathname, /^\/c\/ch_/);
  } finally {
    await alice.close();
  }
  assert.deepEqual(
    suite.errors.filter((e) => !/status of 40[134]/.test(e)),
    [],
  );
});

test(
  "a dialog's field marked autoFocus has the typing; focus goes back to the opener when the dialog goes, by Esc or by itself",
  { timeout: 120_000 },
  async () => {
    await makeOrg(suite.server, "focus");
    const page = await newUserPage(suite.browser, suite.errors);
    await signIn(page, suite.server.url, "focus", "owner", { until: "welcome" });
    // What has focus: its aria-label, else its name, else its tag (BODY when nothing has).
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        return el?.getAttribute("aria-label") ?? el?.getAttribute("name") ?? el?.tagName ?? null;
      });

    // Opens the dialog from the keyboard with the button named `opener`; `field` has focus in it.
    const openFromKeyboard = async (opener: string, dialog: string, field: string) => {
      await page.getByRole("button", { name: opener }).focus();
      await page.keyboard.press("Enter");
      const opened = page.getByRole("dialog", { name: dialog });
      await opened.waitFor();
      assert.equal(await focused(), field, `${dialog}: its autoFocus field takes focus, not the Close button`);
      return opened;
    };

    // Closed with Esc.
    const browse = await openFromKeyboard("Browse channels", "Browse channels", "Search channels");
    await page.keyboard.press("Escape");
    await browse.waitFor({ state: "detached" });
    assert.equal(await focused(), "Browse channels");

    // The create dialog goes by itself once the channel exists, and the channel opens.
    const create = await openFromKeyboard("Create channel", "Create a channel", "channelName");
    await page.keyboard.type("focus-test");
    await page.keyboard.press("Enter");
    await create.waitFor({ state: "detached" });
    await page.getByRole("heading", { name: "# focus-test" }).waitFor();
    assert.equal(await focused(), "Create channel");

    // Ctrl+K and type: the switcher's field has the typing.
    await page.keyboard.press("Control+k");
    const switcher = page.getByRole("dialog", { name: "Jump to a conversation" });
    await switcher.waitFor();
    await page.keyboard.type("focus-t");
    assert.equal(await switcher.getByRole("combobox", { name: "Channel name" }).inputValue(), "focus-t");
    await page.keyboard.press("Escape");
    await switcher.waitFor({ state: "detached" });
    assert.deepEqual(
      suite.errors.filter((e) => !/status of 40[134]/.test(e)),
      [],
    );
  },
);
