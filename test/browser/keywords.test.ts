/**
 * Keyword notifications end to end (issue 13), in real chromium against a real server: bob sets up
 * his key locker (recovery key) and saves keywords in his profile's Notifications section (sealed to his key locker in the worker: the
 * server stores no keyword in the clear); with his tab in the background and the default level
 * (mentions and direct messages), a message that mentions nobody but contains a keyword — matched
 * on his device against the decrypted text, ignoring case and accents — pops up a notification,
 * and one that only contains a keyword inside a longer word does not.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { browserSuite, newUserPage, sdkDevice, setUpRecovery, signIn } from "./browser-support.ts";

const suite = browserSuite();

const tags = (page: Page): Promise<Array<{ tag: string; body: string }>> =>
  page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ tag: n.tag, body: n.body })));

test("a keyword in a message without a mention notifies, matched on the device; the server holds the keywords sealed", { timeout: 240_000 }, async (t) => {
  const owner = await bootstrapOrg(suite.server, { orgSlug: "keywords", username: "olivia", displayName: "Olivia Owner" });
  const bob = await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Builder" });
  const olivia = await sdkDevice(suite.server.url, "keywords", "olivia", { live: true });
  t.after(() => olivia.close());

  const page = await newUserPage(suite.browser, suite.errors);
  await page.context().grantPermissions(["notifications"], { origin: suite.server.url });
  await signIn(page, suite.server.url, "keywords", "bob", { deviceName: "Bob desktop", until: "signed-in", live: true });
  const ops = await olivia.createChannel({ kind: "private", name: "ops", members: [bob.user.id] });
  await page.getByRole("link", { name: /^Channel ops/ }).waitFor({ timeout: 30_000 });

  // ---- Keywords saved from the profile, sealed to the key locker set up here ----------
  await setUpRecovery(page);
  await page.getByRole("link", { name: "Profile" }).click();
  const section = page.getByRole("region", { name: "Notifications" });
  const field = section.getByLabel("Keywords");
  await page.waitForFunction(() => !(document.querySelector('input[aria-label="Keywords"]') as HTMLInputElement | null)?.disabled, undefined, {
    timeout: 30_000,
  });
  await field.fill("deploy, Zoë");
  await section.getByRole("button", { name: "Save" }).click();
  await section
    .getByText("Notification settings saved.")
    .waitFor()
    .catch(async (err: unknown) => assert.fail(`${String(err)}\n${await section.innerText()}`));
  const stored = (await bob.api("GET", "/me/notifications")).body as { level: string; keywordsSealed: string | null };
  assert.equal(stored.level, "mentions", "the default level: a plain message does not notify");
  assert.ok(stored.keywordsSealed, "keywords are stored");
  assert.ok(!/deploy|zoë/i.test(JSON.stringify(stored)), "sealed: the server's copy names no keyword");

  // ---- Bob's tab in the background -----------------------------------------------
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: false });
  const other = await page.context().newPage();
  await other.goto(`${suite.server.url}/profile`);
  await other.bringToFront();
  await page.waitForFunction(() => !document.hasFocus());

  const say = async (text: string) => {
    const r = await olivia.sendMessage(ops.id, text);
    await olivia.idle();
    return `parley:${ops.id}:${r.event.seq}`;
  };
  /** The body of the notification tagged `tag`, once the page's service worker registration shows it (20 s at most). */
  const shown = async (tag: string): Promise<string> => {
    for (let i = 0; i < 200; i++) {
      const body = (await tags(page)).find((n) => n.tag === tag)?.body;
      if (body !== undefined) return body;
      await new Promise((r) => setTimeout(r, 100));
    }
    return assert.fail(`no notification ${tag}; shown: ${JSON.stringify(await tags(page))}`);
  };

  // A word inside a longer one does not match; nothing pops up for it.
  const longer = await say("the redeployment plan is on the wiki");
  // A keyword, no mention: notifies like a mention, with the text decrypted on the device.
  const hit = await say("Deploy window opens at 17:00");
  assert.equal(await shown(hit), "Deploy window opens at 17:00");
  // Accents and case are ignored.
  const accent = await say("ZOE is back on Monday");
  assert.equal(await shown(accent), "ZOE is back on Monday");
  assert.ok(!(await tags(page)).some((n) => n.tag === longer), "no notification for 'redeployment'");

  await other.close();
  assert.deepEqual(suite.errors, []);
});
