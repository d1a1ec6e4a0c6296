/**
 * Search across channels in the web app (issue 9, done-means 4 for the web; screenshot
 * search-results): alice chats from her first device (the SDK) in #general and the private #ops —
 * a word in #general buried under 250 later messages, the same word in #ops and in a thread reply
 * there. She then signs in on a fresh browser and restores her history with the recovery key. The
 * "Search messages" view finds the word in every channel (messages sent before the browser
 * existed), limits to one channel, and a result opens its message — paged in and marked — in the
 * channel or in its thread. The index in IndexedDB holds no plaintext, and sign-out deletes it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryKeyStore } from "@parley/crypto";
import { ParleyClient } from "@parley/sdk";
import { bootstrapOrg, TEST_PASSWORD } from "@parley/server/testing/factories";
import { browserSuite, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

test(
  "a fresh browser finds words said before it existed in every channel, and a result opens the message in its channel or thread",
  { timeout: 300_000 },
  async (t) => {
    const url = suite.server.url;
    await bootstrapOrg(suite.server, { orgSlug: "seek", username: "alice" });
    const alice = await ParleyClient.login({ baseUrl: url, org: "seek", username: "alice", password: TEST_PASSWORD, e2ee: { keyStore: new MemoryKeyStore() } });
    t.after(() => alice.close());
    alice.connect();
    await alice.waitUntilLive();
    const recoveryKey = await alice.e2ee!.locker.setUp();
    const general = await alice.createChannel({ kind: "public", name: "general" });
    const ops = await alice.createChannel({ kind: "private", name: "ops" });
    const needle = await alice.sendMessage(general.id, "the Zebrafish plan for Monday");
    for (let i = 0; i < 250; i += 50) await Promise.all(Array.from({ length: 50 }, (_, k) => alice.sendMessage(general.id, `filler ${i + k}`)));
    await alice.sendMessage(ops.id, "zebrafish tank order");
    const root = await alice.sendMessage(ops.id, "budget for the lab");
    const reply = await alice.send(ops.id, { kind: "message", text: "a zebrafish line in the budget", threadRoot: root.event.seq });
    await alice.sendMessage(ops.id, "unrelated words");
    await alice.idle();
    await alice.e2ee!.locker.flush();

    // A fresh browser: a new device of alice's, restored with the recovery key.
    const page = await newUserPage(suite.browser, suite.errors);
    await signIn(page, url, "seek", "alice", { deviceName: "Alice browser", until: "signed-in" });
    await page.getByTestId("recovery-banner").getByRole("button", { name: "Enter recovery key" }).click({ timeout: 30_000 });
    const dialog = page.getByRole("dialog", { name: "Enter your recovery key" });
    await dialog.getByLabel("Recovery key").fill(recoveryKey);
    await dialog.getByRole("button", { name: "Restore my history" }).click();
    await dialog.waitFor({ state: "detached", timeout: 60_000 });

    await page.getByRole("link", { name: /Search messages/ }).click();
    await page.getByRole("heading", { name: "Search messages" }).waitFor();
    await page.getByLabel("Search messages in every channel").fill("zebrafish");
    const results = page.getByRole("list", { name: "Search results" }).getByRole("listitem");
    await page.waitForFunction(() => document.querySelectorAll('ol[aria-label="Search results"] li').length === 3, undefined, { timeout: 90_000 });
    const texts = (await results.allInnerTexts()).map((s) => s.replace(/\s+/g, " "));
    assert.ok(
      texts.some((s) => s.includes("#general") && s.includes("the Zebrafish plan for Monday")),
      texts.join("\n"),
    );
    assert.ok(texts.some((s) => s.includes("#ops") && s.includes("zebrafish tank order") && !s.includes("in a thread")));
    assert.ok(texts.some((s) => s.includes("#ops") && s.includes("in a thread") && s.includes("a zebrafish line in the budget")));
    assert.equal(await page.locator('ol[aria-label="Search results"] mark', { hasText: /^zebrafish$/i }).count(), 3, "the word is marked in each");
    await page
      .getByRole("status")
      .getByText(/messages indexed on this device$/)
      .waitFor({ timeout: 60_000 });
    await shot(page, "search-results");
    assert.match(page.url(), /\/search\?q=zebrafish$/);

    // One channel only.
    await page.getByLabel("Search in").selectOption({ label: "#ops" });
    await page.waitForFunction(() => document.querySelectorAll('ol[aria-label="Search results"] li').length === 2);
    await page.getByLabel("Search in").selectOption({ label: "All channels" });
    await page.waitForFunction(() => document.querySelectorAll('ol[aria-label="Search results"] li').length === 3);
    // The newest messages too (the first back-fill ran before this device had joined the channel's group).
    await page.getByLabel("Search messages in every channel").fill("filler 249");
    await page.waitForFunction(() => document.querySelectorAll('ol[aria-label="Search results"] li').length === 1);
    await page.getByLabel("Search messages in every channel").fill("nothingmatchesthis");
    await page.getByText("No messages match “nothingmatchesthis”").waitFor();
    await page.getByLabel("Search messages in every channel").fill("zebrafish");

    // The #general result: the channel opens at the message, 250 messages back (paged in), marked.
    await results.filter({ hasText: "the Zebrafish plan for Monday" }).getByRole("link").click();
    await page.getByRole("heading", { name: "# general" }).waitFor();
    assert.match(page.url(), new RegExp(`/c/${general.id}\\?at=${needle.event.seq}$`));
    await page.locator("main article.msg.search-current", { hasText: "the Zebrafish plan for Monday" }).waitFor({ timeout: 60_000 });

    // Back to the results; the thread reply opens its thread with the reply marked.
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll('ol[aria-label="Search results"] li').length === 3);
    await results.filter({ hasText: "a zebrafish line in the budget" }).getByRole("link").click();
    const thread = page.getByRole("complementary", { name: "Thread" });
    await thread.locator("article.msg.search-current", { hasText: "a zebrafish line in the budget" }).waitFor({ timeout: 30_000 });
    assert.match(page.url(), new RegExp(`\\?thread=${root.event.seq}&at=${reply.event.seq}$`));

    // Find in a channel hands its words to the search of that channel's whole history.
    await page.getByRole("link", { name: /^Channel general/ }).click();
    await page.getByRole("button", { name: "Search in this channel" }).click();
    await page.getByLabel("Find in this channel").fill("zebrafish");
    await page.getByRole("button", { name: "Search all of its history" }).click();
    await page.waitForFunction(() => document.querySelectorAll('ol[aria-label="Search results"] li').length === 1);
    assert.match(page.url(), new RegExp(`\\?q=zebrafish&in=${general.id}$`));

    // The index is sealed at rest in IndexedDB, and sign-out deletes it with the device's other data.
    const stored = await page.evaluate(async () => {
      await new Promise((r) => setTimeout(r, 6_000)); // the worker saves 5 s after the last change
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open("parley-search");
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const bytes = await new Promise<Uint8Array | undefined>((resolve, reject) => {
        const r = db.transaction("index").objectStore("index").get("sealed");
        r.onsuccess = () => resolve(r.result as Uint8Array | undefined);
        r.onerror = () => reject(r.error);
      });
      db.close();
      return bytes ? Array.from(bytes) : undefined;
    });
    assert.ok(stored && stored.length > 100, "the index is saved");
    assert.ok(!Buffer.from(stored).toString("latin1").toLowerCase().includes("zebrafish"), "no plaintext at rest");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
    const dbs = () => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    for (let i = 0; i < 100 && (await dbs()).includes("parley-search"); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!(await dbs()).includes("parley-search"), `sign-out deletes the index: ${(await dbs()).join(", ")}`);
    assert.deepEqual(suite.errors, []);
  },
);
