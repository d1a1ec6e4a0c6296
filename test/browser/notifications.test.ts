/**
 * Desktop notifications with the text decrypted on the device (issue 13), in real chromium against
 * a real server. Bob's tab is in the background (another tab in front, focus not emulated):
 * - a mention from Olivia pops up an in-tab notification with the decrypted text;
 * - the server's Web Push for that mention (RFC 8291, VAPID-signed, ids only) reaches a local push
 *   endpoint (testing/push-receiver.ts: it holds the subscription's keys, checks the signature and
 *   decrypts, as a push service and the browser would); its payload is handed to the service
 *   worker's push handler through the DevTools protocol (ServiceWorker.deliverPushMessage; no push
 *   service is reachable here), which shows the text the background tab decrypted. The
 *   subscription is registered by another device of Bob's (a push goes to each of his devices);
 * - a push for a message no tab can open says "New message" in #ops; with Bob's tab in front showing
 *   the channel, a push for it stays quiet;
 * - after Bob mutes #ops in the channel header, a mention neither pops up nor is pushed.
 * Screenshot (test-results/screenshots/; copy in docs/screenshots/): notifications-banner.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import type { TestServer } from "@parley/server/testing/harness";
import { waitForJobsIdle, waitUntil } from "@parley/server/testing/jobs";
import { launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";
import { closeAll, notifications, NotificationWatch, oliviaInOps, oliviaSays, pushOrg, type PushOrg } from "./push-support.ts";

const suite = { errors: [] as string[] } as { server: TestServer; browser: Browser; errors: string[] };
let org: PushOrg | undefined;
before(async () => {
  suite.server = await startWebServer({ pushAllowLoopback: true, pushMinIntervalSeconds: 0 });
  suite.browser = await launchChromium();
});
after(async () => {
  await suite.browser?.close();
  await suite.server?.stop();
  await org?.receiver.close();
});

/** Wait until the server has `level` as the user's override of `channelId` (the select saves asynchronously). */
function expectSetting(
  u: { api: (m: string, p: string) => Promise<{ body: { channels: Array<{ channelId: string; level: string }> } }> },
  channelId: string,
  level: string,
): Promise<void> {
  const has = async () => (await u.api("GET", "/me/notifications")).body.channels.some((c) => c.channelId === channelId && c.level === level);
  return waitUntil(has, 15_000, `the override of ${channelId} becomes ${level}`);
}

test("mentions and pushes show the text decrypted by the background tab; unknown messages say New message", { timeout: 240_000 }, async () => {
  const o = (org = await pushOrg(suite.server));
  const { owner, bob, orgId, ops, receiver: r } = o;
  const origin = suite.server.url;
  /** The payloads the push endpoint accepted for Bob, once the server's jobs are done. */
  const pushed = async (): Promise<Array<Record<string, unknown>>> => {
    await waitForJobsIdle(suite.server.deps.db);
    return r.accepted().map((p) => JSON.parse(p.plaintext!) as Record<string, unknown>);
  };

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
  const sw = await NotificationWatch.open(cdp, origin);

  // Bob's tab goes to the background: another tab of his in front, and focus as the browser has it.
  await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: false });
  const other = await page.context().newPage();
  await other.goto(`${origin}/profile`);
  await other.bringToFront();
  await page.waitForFunction(() => !document.hasFocus());

  const say = await oliviaSays(olivia, o, page);

  // ---- a mention while in the background: an in-tab notification with the decrypted text ----
  const mentionSeq = await say("@bob the deploy window opens at 17:00");
  const mention = await sw.shown(page, (n) => n.tag === `parley:${ops}:${mentionSeq}`, "the in-tab notification of the mention");
  assert.equal(mention.title, "Olivia Owner in #ops");
  assert.equal(mention.body, "@bob the deploy window opens at 17:00");
  await closeAll(page);

  // ---- the server's Web Push for the mention: ids only; the service worker shows the decrypted text ----
  const [payload, ...more] = await pushed();
  assert.deepEqual(payload, { v: 1, orgId, channelId: ops, seq: mentionSeq, senderId: owner.user.id });
  assert.deepEqual(more, [], "one push for one mention");
  assert.ok(!r.accepted()[0]!.plaintext!.includes("deploy"), "the push carries no text");
  assert.deepEqual(await sw.notification(page, r.accepted()[0]!.plaintext!, `parley:${ops}:${mentionSeq}`), mention);
  await closeAll(page);

  // ---- a push for a message that is no mention: the background tab opens it for the service worker ----
  const beforePlain = sw.mark();
  const plainSeq = await say("lunch menu is on the wiki");
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(sw.displayedSince(beforePlain), [], "no in-tab notification for a message that does not mention bob");
  assert.deepEqual(await notifications(page), []);
  assert.equal((await pushed()).length, 1, "no push either (default level: mentions and direct messages)");
  const ids = (channelId: string, seq: number, org = orgId) => ({ v: 1, orgId: org, channelId, seq, senderId: owner.user.id });
  const opened = await sw.notification(page, ids(ops, plainSeq), `parley:${ops}:${plainSeq}`);
  assert.deepEqual(opened, oliviaInOps(ops, plainSeq, "lunch menu is on the wiki"));
  await closeAll(page);

  // ---- a push no tab can open (a message that never arrives; another org's): "New message" ----
  const unknown = await sw.notification(page, ids(ops, plainSeq + 50), `parley:${ops}:${plainSeq + 50}`);
  assert.deepEqual([unknown.title, unknown.body], ["New message", "in #ops"]);
  const foreign = await sw.notification(page, ids(ops, plainSeq, "org_someone_else"), `parley:${ops}:${plainSeq}`);
  assert.deepEqual([foreign.title, foreign.body], ["New message", "in #ops"], "another org's push is not opened with this org's history");
  assert.deepEqual((await notifications(page)).map((n) => n.tag).sort(), [`parley:${ops}:${plainSeq + 50}`, `parley:${ops}:${plainSeq}`].sort());
  await closeAll(page);

  // ---- Bob looking at #ops: a push for it stays quiet ----
  await page.bringToFront();
  await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: true });
  await page.waitForFunction(() => document.hasFocus());
  const seenSeq = await say("standup moved to 9:30");
  const seen = sw.mark();
  await sw.deliver(ids(ops, seenSeq));
  await sw.pushDone(seen);
  assert.deepEqual(sw.displayedSince(seen), [], "nothing pops up for the channel on screen");
  assert.deepEqual(await notifications(page), []);

  // ---- Bob mutes #ops in its header, then turns to another tab: a mention neither pops up nor is pushed ----
  await page.getByLabel("Notifications for this channel").selectOption("muted");
  await expectSetting(bob, ops, "muted");
  await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: false });
  await other.bringToFront();
  await page.waitForFunction(() => !document.hasFocus());
  const beforeMuted = sw.mark();
  const mutedSeq = await say("@bob are you around?");
  await new Promise((r) => setTimeout(r, 1_000));
  assert.deepEqual(sw.displayedSince(beforeMuted), [], "a muted channel's mention does not pop up");
  assert.deepEqual(await notifications(page), []);
  assert.ok(!(await pushed()).some((p) => p.seq === mutedSeq), "nor is it pushed");

  await other.close();
  assert.deepEqual(suite.errors, []);
});
