/**
 * Compliance in the admin console (issue 11), against a real Parley server:
 * - The owner sets the org's retention policy (messages 30 days, attachments 90, audit log
 *   forever) and keeps #records forever with a channel override; old messages of #general
 *   (back-dated in the database) go with "Run now": the run's counts show, and the owner's open
 *   device drops them from #general, whose top now says retention removed older messages.
 * - The owner places a legal hold on Bob for a matter, sees it listed, releases it with a note
 *   (after confirming), and finds it among the released holds.
 * Screenshots (test-results/screenshots/; copies in docs/screenshots/): compliance-retention,
 * compliance-holds, retention-marker.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { bootstrapOrg, makeUser, type TestUser } from "@parley/server/testing/factories";
import type { TestServer } from "@parley/server/testing/harness";
import { backdateEvents } from "@parley/server/testing/retention";
import { createChannel, launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";

const ORG = "compliance";
let server: TestServer;
let browser: Browser;
let owner: TestUser;
let olivia: Page;
const errors: string[] = [];

before(async () => {
  server = await startWebServer();
  browser = await launchChromium();
  owner = await bootstrapOrg(server, { orgSlug: ORG, orgName: "Acme Compliance", username: "olivia", displayName: "Olivia Owner" });
  await makeUser(server, owner, { username: "bob", displayName: "Bob Builder" });
  assert.equal((await owner.api("POST", "/channels", { name: "records", kind: "public" })).status, 201);
  olivia = await newUserPage(browser, errors);
  await signIn(olivia, server.url, ORG, "olivia", { deviceName: "Olivia laptop", until: "signed-in", live: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Page errors, without the console lines of the 4xx answers the tests provoke. */
const unexpectedErrors = () => errors.filter((e) => !/status of 40[0-9]/.test(e));
const msg = (page: Page, text: string) => page.locator("main article.msg", { hasText: text });

/** Take a screenshot with a window tall enough for the whole section. */
async function tall(page: Page, take: () => Promise<unknown>): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 1500 });
  await take();
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function openCompliance(page: Page): Promise<void> {
  await page.getByRole("link", { name: "Admin" }).click();
  await page.getByRole("tab", { name: "Compliance" }).click();
  await page.getByRole("tabpanel").waitFor();
}

test("the owner sets retention, keeps a channel forever, runs it: old messages leave the device too", { timeout: 240_000 }, async () => {
  await createChannel(olivia, "general");
  const channelId = new URL(olivia.url()).pathname.split("/").pop()!;
  for (const text of ["old news one", "old news two"]) {
    await olivia.getByRole("textbox", { name: "Message #general" }).fill(text);
    await olivia.keyboard.press("Enter");
    await msg(olivia, text).waitFor();
  }
  // Everything so far is 40 days old; one fresh message follows.
  const { events } = (await owner.api("GET", `/channels/${channelId}/events?after=0`)).body as { events: Array<{ seq: number }> };
  await backdateEvents(
    server,
    channelId,
    events.map((e) => e.seq),
    40,
  );
  await olivia.getByRole("textbox", { name: "Message #general" }).fill("fresh news");
  await olivia.keyboard.press("Enter");
  await msg(olivia, "fresh news").waitFor();

  await openCompliance(olivia);
  const panel = olivia.getByRole("tabpanel");
  const policy = panel.getByRole("form", { name: "Organisation retention policy" });
  const messages = policy.getByRole("group", { name: "Messages" });
  // Playwright acts on enabled fields only: the form is enabled once the stored policy arrived.
  await messages.getByRole("checkbox", { name: "Keep forever" }).uncheck();
  await messages.getByRole("spinbutton", { name: "Days" }).fill("30");
  const attachments = policy.getByRole("group", { name: "Attachments" });
  await attachments.getByRole("checkbox", { name: "Keep forever" }).uncheck();
  await attachments.getByRole("spinbutton", { name: "Days" }).fill("90");
  await policy.getByRole("button", { name: "Save retention policy" }).click();
  await policy.getByText("Saved. The next run applies it.").waitFor();

  // #records keeps everything.
  await panel.getByRole("button", { name: "Add a channel override" }).click();
  const override = panel.getByRole("form", { name: "New channel override" });
  await override.getByRole("combobox", { name: "Channel" }).selectOption({ label: "#records" });
  await override.getByRole("group", { name: "Messages" }).getByRole("checkbox", { name: "Keep forever" }).check();
  await override.getByRole("group", { name: "Attachments" }).getByRole("checkbox", { name: "Keep forever" }).check();
  await override.getByRole("button", { name: "Save override" }).click();
  await panel.getByRole("table", { name: "Channel retention overrides" }).getByRole("cell", { name: "#records", exact: true }).waitFor();

  await panel.getByRole("button", { name: "Run now" }).click();
  await panel.getByRole("status").getByText("Finished.").waitFor({ timeout: 60_000 });
  const run = panel.getByLabel("Last retention run");
  assert.match(await run.innerText(), /[1-9]\d* messages and other events/);
  const saved = (await owner.api("GET", "/compliance/retention")).body;
  assert.deepEqual(saved.org, { eventsDays: 30, filesDays: 90, auditDays: null });
  assert.deepEqual(
    saved.channels.map((c: { channelName: string; eventsDays: number | null }) => [c.channelName, c.eventsDays]),
    [["records", null]],
  );
  await tall(olivia, () => shot(olivia, "compliance-retention"));

  // The device was told: #general keeps the fresh message only, and says why the rest is gone.
  await olivia.getByRole("link", { name: "general" }).first().click();
  await msg(olivia, "fresh news").waitFor();
  await olivia.getByText("Older messages were removed by your organisation's retention policy.").waitFor();
  assert.equal(await msg(olivia, "old news").count(), 0);
  await shot(olivia, "retention-marker");
  assert.deepEqual(unexpectedErrors(), []);
});

test("the owner places a legal hold on Bob, sees it listed, and releases it", { timeout: 120_000 }, async () => {
  await openCompliance(olivia);
  const panel = olivia.getByRole("tabpanel");
  await panel.getByText("No active holds.").waitFor();
  await panel.getByRole("button", { name: "Place hold" }).click();
  const dialog = olivia.getByRole("dialog", { name: "Place a legal hold" });
  await dialog.getByRole("textbox", { name: "Matter" }).fill("SEC inquiry 2026-14");
  await dialog.getByRole("combobox", { name: "User" }).selectOption({ label: "Bob Builder (@bob)" });
  await dialog.getByRole("textbox", { name: "Note" }).fill("Custodian: trading desk");
  await dialog.getByRole("button", { name: "Place hold" }).click();
  await dialog.waitFor({ state: "detached" });
  const holds = panel.getByRole("table", { name: "Legal holds" });
  const row = holds.getByRole("row", { name: /SEC inquiry 2026-14/ });
  await row.waitFor();
  assert.match(await row.innerText(), /User @bob/);
  assert.match(await row.innerText(), /Olivia Owner/);
  await holds.scrollIntoViewIfNeeded();
  await tall(olivia, () => shot(olivia, "compliance-holds"));

  await row.getByRole("button", { name: "Release hold “SEC inquiry 2026-14” on @bob" }).click();
  const confirm = olivia.getByRole("dialog", { name: "Release the hold “SEC inquiry 2026-14”?" });
  await confirm.getByRole("textbox", { name: "Note" }).fill("Inquiry closed");
  await confirm.getByRole("button", { name: "Release hold" }).click();
  await confirm.waitFor({ state: "detached" });
  await panel.getByText("No active holds.").waitFor();
  await panel.getByRole("combobox", { name: "Show" }).selectOption({ label: "Released holds" });
  const released = panel.getByRole("table", { name: "Legal holds" }).getByRole("row", { name: /SEC inquiry 2026-14/ });
  await released.waitFor();
  assert.match(await released.innerText(), /Olivia Owner, .*Olivia Owner, /s);
  const stored = (await owner.api("GET", "/compliance/holds?status=released")).body.holds;
  assert.equal(stored.length, 1);
  assert.ok(stored[0].releasedAt);
  assert.deepEqual(unexpectedErrors(), []);
});
