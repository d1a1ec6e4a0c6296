/**
 * Compliance in the admin console (issue 11), against a real Parley server:
 * - The owner sets the org's retention policy (messages 30 days, attachments 90, audit log
 *   forever) and keeps #records forever with a channel override; old messages of #general
 *   (back-dated in the database) go with "Run now": the run's counts show, and the owner's open
 *   device drops them from #general, whose top now says retention removed older messages.
 * - The owner places a legal hold on Bob for a matter, sees it listed, releases it with a note
 *   (after confirming), and finds it among the released holds.
 * - The compliance archive (a signed policy stored through the API, as `parley compliance archive
 *   init` stores it) reads back in the console: name, version, scope with #records by name, the
 *   signer key's fingerprint, the archived channels; an export recorded through the API shows in
 *   the exports log; Bob's erasure request (made through the API) is declined with a reason,
 *   which Bob then reads; the owner downloads Bob's data export (a ZIP).
 * - Profile → Your data: after a reload, the owner downloads her own data, one ZIP holding the
 *   server's files and her messages as her browser keeps them decrypted (the server's part holds no text).
 * Screenshots (test-results/screenshots/; copies in docs/screenshots/): compliance-retention,
 * compliance-holds, retention-marker, compliance-archive, compliance-exports, compliance-gdpr,
 * profile-your-data.
 */
import fs from "node:fs";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { bootstrapOrg, makeUser, type TestUser } from "@parley/server/testing/factories";
import type { TestServer } from "@parley/server/testing/harness";
import { backdateEvents } from "@parley/server/testing/retention";
import { zipTexts } from "@parley/server/testing/zip";
import { newArchiveKeys, signedArchivePolicy } from "@parley/server/testing/archive";
import { archiveKeyFingerprint } from "@parley/crypto";
import { createChannel, launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";

const ORG = "compliance";
let server: TestServer;
let browser: Browser;
let owner: TestUser;
let bob: TestUser;
let recordsId: string;
let olivia: Page;
const errors: string[] = [];

before(async () => {
  server = await startWebServer();
  browser = await launchChromium();
  owner = await bootstrapOrg(server, { orgSlug: ORG, orgName: "Acme Compliance", username: "olivia", displayName: "Olivia Owner" });
  bob = await makeUser(server, owner, { username: "bob", displayName: "Bob Builder" });
  const records = await owner.api("POST", "/channels", { name: "records", kind: "public" });
  assert.equal(records.status, 201);
  recordsId = records.body.id;
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

/** Bring a section's heading to the top of the window (as far as the page goes) and take the screenshot. */
async function sectionShot(page: Page, heading: string, name: string): Promise<void> {
  // Scroll the console's own scroller only (scrollIntoView would move the whole app shell too).
  await page.getByRole("heading", { name: heading, exact: true }).evaluate((h) => {
    let box = h.parentElement;
    while (box && !(box.scrollHeight > box.clientHeight && /auto|scroll/.test(getComputedStyle(box).overflowY))) box = box.parentElement;
    if (box) box.scrollTop += h.getBoundingClientRect().top - box.getBoundingClientRect().top - 12;
  });
  await shot(page, name);
}

test("the owner reads the archive policy, the exports log, and declines Bob's erasure request", { timeout: 120_000 }, async () => {
  const keys = newArchiveKeys();
  const policy = signedArchivePolicy(keys, owner.org.id, 1, { kinds: [], labels: ["regulated"], channelIds: [recordsId] });
  assert.equal((await owner.api("PUT", "/compliance/archive", policy)).status, 200);
  const manifestSha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  const recorded = await owner.api("POST", "/compliance/archive/exports", {
    channelIds: [recordsId],
    userId: null,
    from: Date.UTC(2026, 0, 1),
    to: Date.UTC(2026, 3, 1),
    items: 42,
    attachments: 3,
    manifestSha256,
    signerFingerprint: "5e1c 0a9b 33f0 77d2 c4e8",
  });
  assert.equal(recorded.status, 201);
  assert.equal((await bob.api("POST", "/me/gdpr-requests", { kind: "erase", note: "I am leaving Acme" })).status, 201);

  // Leave the console (the last test ended in it), so it loads afresh.
  await olivia.getByRole("link", { name: "general" }).first().click();
  await openCompliance(olivia);
  const panel = olivia.getByRole("tabpanel");
  const facts = panel.getByLabel("Archive policy");
  await facts.waitFor();
  const text = await facts.innerText();
  assert.match(text, /Acme compliance archive/);
  assert.match(text, /Channels labelled regulated/);
  assert.match(text, /The channels #records/);
  assert.ok(text.includes(archiveKeyFingerprint(keys.signer.publicKey)), "the signer key's fingerprint, as members see it");
  await panel.getByRole("table", { name: "Archived channels" }).getByRole("cell", { name: "#records", exact: true }).waitFor();
  await sectionShot(olivia, "Compliance archive", "compliance-archive");

  const exportsLog = panel.getByRole("table", { name: "eDiscovery exports" });
  const row = exportsLog.getByRole("row", { name: /#records/ });
  await row.waitFor();
  const exportText = await row.innerText();
  assert.match(exportText, /Olivia Owner/);
  assert.match(exportText, /42 items, 3 attachments/);
  assert.match(exportText, /1 Jan 2026 – 1 Apr 2026/);
  assert.equal(await row.getByTitle(manifestSha256).count(), 1);
  await sectionShot(olivia, "Exports log", "compliance-exports");

  const requests = panel.getByRole("table", { name: "Data-subject requests" });
  const pending = requests.getByRole("row", { name: /I am leaving Acme/ });
  await pending.waitFor();
  assert.match(await pending.innerText(), /Bob Builder \(@bob\)[\s\S]*Erasure[\s\S]*Pending/);
  await sectionShot(olivia, "GDPR requests", "compliance-gdpr");
  await pending.getByRole("button", { name: "Decline the erasure request of @bob" }).click();
  const confirm = olivia.getByRole("dialog", { name: "Decline @bob's erasure request?" });
  await confirm.getByRole("textbox", { name: "Reason" }).fill("Trading records are kept for six years (SEC 17a-4)");
  await confirm.getByRole("button", { name: "Decline request" }).click();
  await confirm.waitFor({ state: "detached" });
  await requests.getByRole("row", { name: /Declined/ }).waitFor();
  // Bob's data as the officer downloads it: the worker fetches the ZIP, the page saves it.
  await panel.getByRole("combobox", { name: "Data subject" }).selectOption({ label: "Bob Builder (@bob)" });
  const [download] = await Promise.all([olivia.waitForEvent("download"), panel.getByRole("button", { name: "Download their data" }).click()]);
  assert.match(download.suggestedFilename(), /\.zip$/);
  const zip = fs.readFileSync((await download.path())!);
  assert.equal(zip.subarray(0, 2).toString("latin1"), "PK");
  await requests.getByRole("row", { name: /Export.*By Olivia Owner/ }).waitFor();
  const mine = (await bob.api("GET", "/me/gdpr-requests")).body.requests;
  assert.deepEqual(
    mine.map((r: { status: string; response: string }) => [r.status, r.response]),
    [
      ["completed", ""],
      ["declined", "Trading records are kept for six years (SEC 17a-4)"],
    ],
  );
  assert.deepEqual(unexpectedErrors(), []);
});

test("Profile → Your data: one ZIP with the server's files and the messages decrypted in the browser", { timeout: 120_000 }, async () => {
  await olivia.getByRole("link", { name: "general" }).first().click();
  await olivia.getByRole("textbox", { name: "Message #general" }).fill("the walrus and the carpenter");
  await olivia.keyboard.press("Enter");
  await msg(olivia, "the walrus and the carpenter").waitFor();
  // After a restart of the app, MLS cannot open these again: the export reads the device's sealed copies.
  await olivia.reload();
  await msg(olivia, "the walrus and the carpenter").waitFor();
  await olivia.getByRole("link", { name: "Profile" }).click();
  const section = olivia.getByRole("region", { name: "Your data" });
  assert.equal(await section.getByRole("checkbox", { name: "Include my decrypted messages from this device" }).isChecked(), true);
  const [download] = await Promise.all([olivia.waitForEvent("download"), section.getByRole("button", { name: "Download my data" }).click()]);
  await section
    .getByRole("status")
    .getByText(/^Saved .*\.zip: your data from the server and \d+ events from \d+ channels/)
    .waitFor();
  assert.match(download.suggestedFilename(), /\.zip$/);
  const files = zipTexts(fs.readFileSync((await download.path())!));
  for (const name of ["README.txt", "manifest.json", "profile.json", "audit.jsonl", "messages/index.json", "messages/general.jsonl"])
    assert.ok(files[name], name);
  const index = JSON.parse(files["messages/index.json"]!);
  assert.equal(index.exportedBy, "parley web");
  assert.ok(index.channels.some((c: { name: string; file: string }) => c.name === "general" && c.file === "messages/general.jsonl"));
  const lines = files["messages/general.jsonl"]!.trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { kind: string; text?: string; sender: string; own: boolean });
  assert.deepEqual(
    lines.filter((e) => e.text === "the walrus and the carpenter").map(({ kind, sender, own }) => ({ kind, sender, own })),
    [{ kind: "message", sender: "olivia", own: true }],
  );
  assert.ok(
    lines.some((e) => e.text === "fresh news"),
    "earlier messages this device decrypted",
  );
  const serverSide = Object.entries(files)
    .filter(([name]) => !name.startsWith("messages/"))
    .map(([, text]) => text)
    .join("\n");
  assert.ok(!serverSide.includes("walrus"), "the server's part holds no message content");
  await section.scrollIntoViewIfNeeded();
  await shot(olivia, "profile-your-data");
  assert.deepEqual(unexpectedErrors(), []);
});
