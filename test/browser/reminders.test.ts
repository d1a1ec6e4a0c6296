/**
 * Reminders in the web app (issue 13, `/remind`), against a real Parley server: Alice types a
 * malformed `/remind` (a clear error, nothing sent), then `/remind me in 20 minutes …` and a
 * "Remind me" from a message's menu; the inbox's Reminders tab lists both, opened on the device.
 * The first is then made due through the API (a 20-minute wait has no place in a test, and
 * there is no seconds syntax to shorten it): the server's job fires it, the app shows it in the
 * reminder banner and under Due with Snooze and Done, and Done removes it. The server's storage
 * holds no reminder text. Screenshot (test-results/screenshots/; copy in docs/screenshots/): reminders.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bootstrapOrg } from "@parley/server/testing/factories";
import { browserSuite, createChannel, newUserPage, setUpRecovery, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

test(
  "a reminder set with /remind fires at its time and shows in the inbox with Snooze and Done; the server never stores its text",
  { timeout: 300_000 },
  async () => {
    const owner = await bootstrapOrg(suite.server, { orgSlug: "remind", orgName: "Acme Remind", username: "alice", displayName: "Alice Owner" });
    const page = await newUserPage(suite.browser, suite.errors);
    await signIn(page, suite.server.url, "remind", "alice", { deviceName: "Alice laptop", until: "signed-in" });
    await setUpRecovery(page);
    await createChannel(page, "ops");
    const box = page.getByRole("textbox", { name: "Message #ops" });
    await box.fill("the certificate expires on Monday");
    await box.press("Enter");
    const msg = page.locator("main article.msg", { hasText: "the certificate expires" });
    await msg.waitFor({ timeout: 60_000 });

    // Autocomplete offers /remind with its usage.
    await box.fill("/rem");
    await page
      .getByRole("listbox", { name: "Slash commands" })
      .getByRole("option", { name: /\/remind.*in 20 minutes/ })
      .waitFor();

    // A time the parser cannot read: a clear error, the text kept, nothing sent.
    await box.fill("/remind me in 20 parsecs water the plants");
    await box.press("Enter");
    await page.getByText(/Not sent: .*"parsecs" is not a unit/).waitFor({ timeout: 15_000 });
    assert.equal(await box.inputValue(), "/remind me in 20 parsecs water the plants");
    assert.equal((await owner.api("GET", "/me/reminders")).body.reminders.length, 0);

    await box.fill("/remind me in 20 minutes renew the wildcard certificate");
    await box.press("Enter");
    await page.waitForFunction(() => (document.querySelector('textarea[aria-label="Message #ops"]') as HTMLTextAreaElement | null)?.value === "");
    assert.equal(await page.locator("main article.msg", { hasText: "renew the wildcard" }).count(), 0, "a /remind is not posted");

    // "Remind me" from the message's menu.
    await msg.hover();
    await msg.getByRole("button", { name: "Remind me" }).click();
    await msg.getByRole("menuitem", { name: "Tomorrow 9:00" }).click();
    await msg.hover();
    await msg.getByText(/Reminder set for/).waitFor({ timeout: 15_000 });

    await page.getByRole("link", { name: /^Inbox/ }).click();
    await page.getByRole("tab", { name: "Reminders" }).click();
    const upcoming = page.getByRole("region", { name: "Pending reminders" });
    await upcoming.getByText("renew the wildcard certificate").waitFor({ timeout: 30_000 });
    await upcoming.getByText("Alice Owner: the certificate expires on Monday").waitFor();

    // Make the /remind one due now (through the API, as the same user): the server's job fires it.
    const listed = (await owner.api("GET", "/me/reminders")).body.reminders as Array<{ id: string; dueAt: number }>;
    assert.equal(listed.length, 2);
    const soon = listed.reduce((a, b) => (a.dueAt < b.dueAt ? a : b));
    assert.ok(soon.dueAt > Date.now() + 18 * 60_000 && soon.dueAt < Date.now() + 21 * 60_000, "in 20 minutes");
    const moved = await owner.api("PATCH", `/me/reminders/${soon.id}`, { dueAt: Date.now() });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));

    const banner = page.getByRole("status", { name: "Reminders" });
    await banner.getByText("renew the wildcard certificate").waitFor({ timeout: 30_000 });
    const due = page.getByRole("region", { name: "Due reminders" });
    await due.getByText("renew the wildcard certificate").waitFor({ timeout: 30_000 });
    await due.getByRole("button", { name: "Snooze 1 hour" }).waitFor();
    await shot(page, "reminders");

    await due.getByRole("button", { name: "Done" }).click();
    await due.waitFor({ state: "detached", timeout: 15_000 });
    await banner.waitFor({ state: "detached" });
    const left = (await owner.api("GET", "/me/reminders")).body.reminders as Array<{ id: string }>;
    assert.deepEqual(
      left.map((r) => r.id),
      listed.filter((r) => r.id !== soon.id).map((r) => r.id),
    );

    // What the server holds: a time and a state per reminder; the text only sealed.
    const db = suite.server.deps.db;
    const rows = [
      ...(await db.selectFrom("reminders").selectAll().execute()),
      ...(await db.selectFrom("personal_items").selectAll().execute()),
      ...(await db.selectFrom("user_stream").selectAll().execute()),
    ];
    const stored = Buffer.from(JSON.stringify(rows, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v)));
    for (const needle of ["wildcard certificate", "certificate expires"]) assert.equal(stored.includes(Buffer.from(needle)), false, needle);
    assert.deepEqual(
      suite.errors.filter((e) => !/status of 40[0-9]/.test(e)),
      [],
    );
  },
);
