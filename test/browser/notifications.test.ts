/**
 * Desktop notifications with the text decrypted on the device (issue 13), in real chromium against
 * a real server. Bob's tab is in the background (another tab in front, focus not emulated):
 * - a mention from Olivia pops up an in-tab notification with the decrypted text;
 * - a Web Push naming a message (org, channel, seq, sender — no content), handed to the service
 *   worker's push handler through the DevTools protocol (ServiceWorker.deliverPushMessage; no push
 *   service is reachable here), is shown with the text the background tab decrypted;
 * - a push for a message no tab can open says "New message" in #ops; with Bob's tab in front showing the
 *   channel, a push for it stays quiet.
 * Screenshot (test-results/screenshots/; copy in docs/screenshots/): notifications-banner.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { CDPSession, Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { browserSuite, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

interface Shown {
  title: string;
  body: string;
  tag: string;
}

/** The notifications the page's service worker registration shows. */
function notifications(page: Page): Promise<Shown[]> {
  return page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag })));
}

async function waitForNotification(page: Page, tag: string): Promise<Shown> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const n = (await notifications(page)).find((x) => x.tag === tag);
    if (n) return n;
    if (Date.now() > deadline) throw new Error(`no notification ${tag}; shown: ${JSON.stringify(await notifications(page))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function closeAll(page: Page): Promise<void> {
  await page.evaluate(async () => {
    for (const n of await (await navigator.serviceWorker.ready).getNotifications()) n.close();
  });
}

/** The service worker's registration id (for ServiceWorker.deliverPushMessage). */
async function registrationId(cdp: CDPSession): Promise<string> {
  const ids: string[] = [];
  cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => {
    for (const r of e.registrations) if (!r.isDeleted) ids.push(r.registrationId);
  });
  await cdp.send("ServiceWorker.enable");
  for (let i = 0; i < 100 && !ids.length; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ids[0] !== undefined, "the service worker is registered");
  return ids[0]!;
}

test("mentions and pushes show the text decrypted by the background tab; unknown messages say New message", { timeout: 240_000 }, async () => {
  const owner = await bootstrapOrg(suite.server, { orgSlug: "notify", orgName: "Acme Notify", username: "olivia", displayName: "Olivia Owner" });
  const bob = await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Builder" });
  const orgId = owner.org.id;
  const ops = (await owner.api("POST", "/channels", { name: "ops", kind: "private", members: [bob.user.id] })).body.id as string;
  const origin = suite.server.url;

  const olivia = await newUserPage(suite.browser, suite.errors);
  await signIn(olivia, origin, "notify", "olivia", { deviceName: "Olivia desktop", until: "signed-in", live: true });
  // Not granted in Olivia's browser: the app asks once.
  const banner = olivia.getByRole("region", { name: "Desktop notifications" });
  await banner.waitFor();
  await shot(olivia, "notifications-banner");

  const page = await newUserPage(suite.browser, suite.errors);
  await page.context().grantPermissions(["notifications"], { origin });
  await signIn(page, origin, "notify", "bob", { deviceName: "Bob desktop", until: "signed-in", live: true });
  assert.equal(await page.getByRole("region", { name: "Desktop notifications" }).count(), 0, "granted: no banner");
  await page.getByRole("link", { name: "Channel ops" }).click();
  await page.getByRole("heading", { name: "ops" }).waitFor();
  await page.evaluate(() => navigator.serviceWorker.ready);
  const cdp = await page.context().newCDPSession(page);
  const regId = await registrationId(cdp);

  // Bob's tab goes to the background: another tab of his in front, and focus as the browser has it.
  await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: false });
  const other = await page.context().newPage();
  await other.goto(`${origin}/profile`);
  await other.bringToFront();
  await page.waitForFunction(() => !document.hasFocus());

  await olivia.getByRole("link", { name: "Channel ops" }).click();
  const box = olivia.getByRole("textbox", { name: "Message #ops" });
  const say = async (text: string): Promise<number> => {
    await box.fill(text);
    await box.press("Escape"); // close the mention autocomplete, if open
    await box.press("Enter");
    await page.locator("main article.msg", { hasText: text }).waitFor();
    const { body } = await owner.api("GET", `/channels/${ops}/events?limit=1`);
    return (body.events as Array<{ seq: number }>)[0]!.seq;
  };

  // ---- a mention while in the background: an in-tab notification with the decrypted text ----
  const mentionSeq = await say("@bob the deploy window opens at 17:00");
  const mention = await waitForNotification(page, `parley:${ops}:${mentionSeq}`);
  assert.equal(mention.title, "Olivia Owner in #ops");
  assert.equal(mention.body, "@bob the deploy window opens at 17:00");
  await closeAll(page);

  // ---- a push for a message that is no mention: the background tab opens it for the service worker ----
  const plainSeq = await say("lunch menu is on the wiki");
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await notifications(page), [], "no in-tab notification for a message that does not mention bob");
  const push = (channelId: string, seq: number, org = orgId) =>
    cdp.send("ServiceWorker.deliverPushMessage", {
      origin: `${origin}/`,
      registrationId: regId,
      data: JSON.stringify({ v: 1, orgId: org, channelId, seq, senderId: owner.user.id }),
    });
  await push(ops, plainSeq);
  const pushed = await waitForNotification(page, `parley:${ops}:${plainSeq}`);
  assert.deepEqual(pushed, { title: "Olivia Owner in #ops", body: "lunch menu is on the wiki", tag: `parley:${ops}:${plainSeq}` });
  await closeAll(page);

  // ---- a push no tab can open (a message that never arrives; another org's): "New message" ----
  await push(ops, plainSeq + 50);
  const unknown = await waitForNotification(page, `parley:${ops}:${plainSeq + 50}`);
  assert.deepEqual([unknown.title, unknown.body], ["New message", "in #ops"]);
  await push(ops, plainSeq, "org_someone_else");
  const foreign = await waitForNotification(page, `parley:${ops}:${plainSeq}`);
  assert.deepEqual([foreign.title, foreign.body], ["New message", "in #ops"], "another org's push is not opened with this org's history");
  assert.deepEqual((await notifications(page)).map((n) => n.tag).sort(), [`parley:${ops}:${plainSeq + 50}`, `parley:${ops}:${plainSeq}`].sort());
  await closeAll(page);

  // ---- Bob looking at #ops: a push for it stays quiet ----
  await page.bringToFront();
  await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: true });
  await page.waitForFunction(() => document.hasFocus());
  const seenSeq = await say("standup moved to 9:30");
  await push(ops, seenSeq);
  await new Promise((r) => setTimeout(r, 1_500));
  assert.deepEqual(await notifications(page), [], "nothing pops up for the channel on screen");

  await other.close();
  assert.deepEqual(suite.errors, []);
});
