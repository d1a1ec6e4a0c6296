/**
 * Channel history policies in a real browser (issue 9, done-means 2): the owner creates a private
 * channel choosing its history policy in the create dialog, says a few things, then adds a member
 * from the "Add people" dialog, which says what they will be able to read. In a `shared` channel
 * the new member reads everything said before (no "Unable to decrypt" anywhere); in a `joined`
 * channel they read from their joining on, with a note saying why; once removed, they read
 * nothing more. Screenshots: history-create, history-add-people, history-shared, history-joined.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { browserSuite, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

const msg = (page: Page, text: string) => page.locator("main article.msg", { hasText: text });

async function send(page: Page, channel: string, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: `Message #${channel}` });
  await box.fill(text);
  await box.press("Enter");
  await msg(page, text).waitFor();
}

/** The owner creates a private channel with `policy` through the dialog and ends in it. */
async function createPrivate(page: Page, name: string, policy: RegExp, screenshot?: string): Promise<void> {
  await page.getByRole("button", { name: "Create channel" }).click();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel(/Private — only people you add/).check();
  await page.getByLabel(policy).check();
  if (screenshot) await shot(page, screenshot);
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await page.getByRole("heading", { name }).waitFor();
}

/** Add `who` from the header's "Add people" dialog; returns the note the dialog showed. */
async function addPerson(page: Page, who: RegExp, screenshot?: string): Promise<string> {
  await page.getByRole("button", { name: "Add people" }).click();
  const dialog = page.getByRole("dialog", { name: "Add people to this channel" });
  await dialog.getByLabel(who).check();
  const note = await dialog.getByRole("note").innerText();
  if (screenshot) await shot(page, screenshot);
  await dialog.getByRole("button", { name: "Add", exact: true }).click();
  await dialog.waitFor({ state: "detached", timeout: 30_000 });
  return note;
}

/** No "Unable to decrypt" row anywhere (what they say, on failure). */
async function assertNoUndecryptable(page: Page): Promise<void> {
  const reasons = await page.locator("main .msg-body.undecryptable").evaluateAll((els) => els.map((e) => e.getAttribute("title")));
  assert.deepEqual(reasons, [], `undecryptable rows; the timeline showed:\n${await page.locator("main").innerText()}`);
}

async function open(page: Page, channel: string): Promise<void> {
  await page.getByRole("link", { name: new RegExp(`^Channel ${channel}`) }).click({ timeout: 30_000 });
  await page.getByRole("heading", { name: channel }).waitFor();
}

test(
  "shared and joined history: a new member reads the past of a shared channel, only what follows in a joined one, and nothing after removal",
  { timeout: 300_000 },
  async () => {
    const owner = await bootstrapOrg(suite.server, { orgSlug: "history", username: "alice" });
    const bobUser = await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Builder" });
    const alice = await newUserPage(suite.browser, suite.errors);
    const bob = await newUserPage(suite.browser, suite.errors);
    await signIn(alice, suite.server.url, "history", "alice", { deviceName: "Alice laptop", until: "signed-in" });
    await signIn(bob, suite.server.url, "history", "bob", { deviceName: "Bob desktop", until: "signed-in" });

    // ---- shared: the default -------------------------------------------------------------
    await createPrivate(alice, "plans", /Shared — new members read the whole history/, "history-create");
    assert.match(await alice.getByTestId("history-policy").innerText(), /History: shared/);
    await send(alice, "plans", "the plan, first draft");
    await send(alice, "plans", "second thoughts on the plan");
    const sharedNote = await addPerson(alice, /Bob Builder/, "history-add-people");
    assert.match(sharedNote, /able to read everything said here before/);

    await open(bob, "plans");
    for (const t of ["the plan, first draft", "second thoughts on the plan"]) await msg(bob, t).locator(".msg-body").getByText(t).waitFor({ timeout: 60_000 });
    await assertNoUndecryptable(bob);
    assert.match(await bob.getByTestId("history-policy").innerText(), /History: shared/);
    await shot(bob, "history-shared");

    // ---- joined: from each member's joining on ----------------------------------------------
    await createPrivate(alice, "standup", /From joining — new members read what is said after they join/);
    assert.match(await alice.getByTestId("history-policy").innerText(), /History: from joining/);
    await send(alice, "standup", "said before bob joined");
    const joinedNote = await addPerson(alice, /Bob Builder/);
    assert.match(joinedNote, /from now on, not earlier ones/);
    await send(alice, "standup", "said after bob joined");
    await open(bob, "standup");
    await msg(bob, "said after bob joined").waitFor({ timeout: 60_000 });
    await bob.getByText("This channel shares its history from each member's joining on").waitFor({ timeout: 30_000 });
    assert.equal(await msg(bob, "said before bob joined").count(), 0, "the earlier message is not shown");
    await assertNoUndecryptable(bob);
    await shot(bob, "history-joined");

    // ---- removed: nothing after ----------------------------------------------------------------
    await open(alice, "plans");
    const channelId = new URL(alice.url()).pathname.split("/").pop()!;
    const removed = await owner.api("DELETE", `/channels/${channelId}/members/${bobUser.user.id}`);
    assert.ok(removed.status === 200 || removed.status === 204, JSON.stringify(removed.body));
    await send(alice, "plans", "after bob left the plans");
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await msg(bob, "after bob left the plans").count(), 0, "a removed member reads nothing sent after");
    assert.deepEqual(suite.errors, []);
  },
);
