/**
 * Offline and catch-up in the browser: Bob's browser context goes offline
 * while Alice sends 3 messages and Bob sends 2 (shown as queued above his
 * composer). Back online, Bob's page reconnects by itself, his queued sends go
 * out (marked "Sent"), and both pages end with all 5 messages in one order.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { browserSuite, createAndJoinChannel, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

/** The texts of the channel's message rows, top to bottom. */
const rowTexts = (page: Page) => page.locator("main article.msg .msg-body").allInnerTexts();

async function sendFromComposer(page: Page, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: "Message #ops" });
  await box.fill(text);
  await box.press("Enter");
}

test("sends made offline are queued, flushed on reconnect, and both sides converge", { timeout: 180_000 }, async () => {
  const owner = await bootstrapOrg(suite.server, { orgSlug: "offline", username: "alice" });
  await makeUser(suite.server, owner, { username: "bob", displayName: "Bob" });
  const alice = await newUserPage(suite.browser, suite.errors);
  const bob = await newUserPage(suite.browser, suite.errors);
  await signIn(alice, suite.server.url, "offline", "alice", { live: true });
  await signIn(bob, suite.server.url, "offline", "bob", { live: true });

  await createAndJoinChannel(alice, bob, "ops");
  await sendFromComposer(alice, "before the outage");
  await bob.locator("main article.msg", { hasText: "before the outage" }).waitFor();

  // ---- Bob loses the network ---------------------------------------------------
  await bob.context().setOffline(true);
  await bob.locator('.sidebar .conn[data-state="offline"]').waitFor({ timeout: 60_000 });
  await bob.locator(".sidebar .conn", { hasText: /Reconnecting in \d+s…|Reconnecting…/ }).waitFor();

  const aliceTexts = ["alice 1 while bob is away", "alice 2 while bob is away", "alice 3 while bob is away"];
  for (const t of aliceTexts) {
    await sendFromComposer(alice, t);
    await alice.locator("main article.msg", { hasText: t }).waitFor();
  }
  const bobTexts = ["bob 1 typed offline", "bob 2 typed offline"];
  for (const t of bobTexts) {
    await sendFromComposer(bob, t);
    await bob
      .locator('.pending-send[data-status="pending"]', { hasText: t })
      .getByText(/Queued/)
      .waitFor();
  }
  // Nothing from the other side arrives while offline, and Bob's sends are not in the history yet.
  assert.deepEqual(
    (await rowTexts(bob)).filter((t) => /while bob is away|typed offline/.test(t)),
    [],
  );
  await shot(bob, "offline-queued");

  // ---- back online: automatic reconnect, queue flushed ---------------------------------
  await bob.context().setOffline(false);
  try {
    for (const t of bobTexts) await bob.locator('.pending-send[data-status="sent"]', { hasText: t }).waitFor({ timeout: 60_000 });
  } catch (err) {
    await shot(bob, "offline-stuck");
    throw new Error(`queued sends not flushed; connection line: ${await bob.locator(".sidebar .conn").innerText()}`, { cause: err });
  }
  await bob.locator('.sidebar .conn[data-state="live"]').waitFor();
  const expected = ["before the outage", ...aliceTexts, ...bobTexts];
  for (const page of [alice, bob]) {
    for (const t of expected) await page.locator("main article.msg", { hasText: t }).waitFor({ timeout: 30_000 });
    assert.deepEqual(
      (await rowTexts(page)).map((t) => t.trim()).filter((t) => expected.includes(t)),
      expected,
    );
  }
  // The "Sent" marks clear; nothing stays pending.
  await bob.locator(".pending-send").first().waitFor({ state: "detached", timeout: 10_000 });
  assert.equal(await bob.locator('.pending-send[data-status="pending"]').count(), 0);
  await shot(bob, "offline-caught-up");

  assert.deepEqual(
    suite.errors.filter((e) => !/status of 40[134]|ERR_INTERNET_DISCONNECTED|WebSocket|Failed to fetch|net::/.test(e)),
    [],
  );
});
