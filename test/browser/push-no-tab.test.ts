/**
 * Web Push with no Parley tab open (issue 13), in real chromium against a real server: Bob's only
 * app tab is closed (his browser context, hence the service worker's registration and his device's
 * IndexedDB, stays). The server's Web Push for Olivia's mention (RFC 8291, VAPID-signed, ids
 * only) reaches a local push endpoint (testing/push-receiver.ts decrypts it as a push service and
 * the browser would); its payload is handed to the service worker's push handler through the
 * DevTools protocol (ServiceWorker.deliverPushMessage, from an about:blank tab; no push service is
 * reachable here). With no tab holding the device's Web Lock, the service worker opens the
 * message itself from the device's stored keys and session:
 * - the notification shows the sender and the decrypted text;
 * - the worker releases the device's Web Lock when done;
 * - a push it cannot open (a message that never arrives; another org's; a channel Bob is not in)
 *   says "New message";
 * - a push for a channel Bob muted meanwhile shows nothing;
 * - a tab opened while the device is held as the worker holds it (the device lock plus the worker's
 *   marker lock, taken by the manifest page for the test) waits rather than saying "open in
 *   another tab", then starts and shows the messages the worker decrypted (their MLS keys are used
 *   up: the worker's copies in the device's history are what the tab shows).
 * Notifications are read with registration.getNotifications() from a page of the origin that does
 * not run the app (the manifest), so no tab takes the device.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { BrowserContext, CDPSession, Page } from "playwright-core";
import { waitForJobsIdle } from "@parley/server/testing/jobs";
import { browserSuite, newUserPage, signIn } from "./browser-support.ts";
import { closeAll, notifications, NotificationWatch, oliviaInOps, oliviaSays, pushOrg, type PushOrg } from "./push-support.ts";

const suite = browserSuite({ pushAllowLoopback: true, pushMinIntervalSeconds: 0 });
let org: PushOrg | undefined;
after(() => org?.receiver.close());

/** A page of the origin that is not the app (no client, no device lock) to read the registration's notifications. */
async function viewer(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/manifest.webmanifest`);
  return page;
}

/** Whether a context of the origin holds the device's Web Lock (a tab or the service worker running the client). */
function deviceLockHeld(page: Page): Promise<boolean> {
  return page.evaluate(async () => ((await navigator.locks.query()).held ?? []).some((l) => l.name === "parley-device"));
}

test("with no tab open, the service worker opens a pushed mention from the device's keys; else New message", { timeout: 300_000 }, async () => {
  const o = (org = await pushOrg(suite.server));
  const { owner, bob, orgId, ops, receiver: r } = o;
  const origin = suite.server.url;

  const olivia = await newUserPage(suite.browser, suite.errors);
  await signIn(olivia, origin, "notify", "olivia", { deviceName: "Olivia desktop", until: "signed-in", live: true });

  // Bob signs in once on this browser (a device with keys, a session and history), reads #ops, closes the tab.
  const page = await newUserPage(suite.browser, suite.errors);
  const context = page.context();
  await context.grantPermissions(["notifications"], { origin });
  await signIn(page, origin, "notify", "bob", { deviceName: "Bob desktop", until: "signed-in", live: true });
  await page.getByRole("link", { name: "Channel ops" }).click();
  await page.getByRole("heading", { name: "ops" }).waitFor();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

  const said = await oliviaSays(olivia, o, olivia);
  /** Olivia sends `text`; its seq once the server's pushes for it are sent. */
  const say = async (text: string): Promise<number> => {
    const seq = await said(text);
    await waitForJobsIdle(suite.server.deps.db);
    return seq;
  };
  // Bob's device is in #ops's group and has read a message there.
  await say("hello bob");
  await page.locator("main article.msg", { hasText: "hello bob" }).waitFor();
  await new Promise((r) => setTimeout(r, 1_000)); // the worker's debounced writes land
  await page.close();

  // No Parley tab: a blank one drives the service worker through CDP, the manifest page reads its notifications.
  const blank = await context.newPage();
  const cdp: CDPSession = await context.newCDPSession(blank);
  const push = await NotificationWatch.open(cdp, origin);
  const shown = await viewer(context, origin);
  assert.equal(await deviceLockHeld(shown), false, "no tab runs Bob's client");

  // ---- a mention while no tab is open: the service worker opens it and shows sender and text ----
  const mentionSeq = await say("@bob the deploy window opens at 17:00");
  const pushes = r.accepted();
  assert.equal(pushes.length, 1, "one push for the mention");
  const payload = JSON.parse(pushes[0]!.plaintext!) as Record<string, unknown>;
  assert.deepEqual(payload, { v: 1, orgId, channelId: ops, seq: mentionSeq, senderId: owner.user.id });
  assert.ok(!pushes[0]!.plaintext!.includes("deploy"), "the push carries no text");
  const mention = await push.notification(shown, pushes[0]!.plaintext!, `parley:${ops}:${mentionSeq}`);
  assert.deepEqual(mention, oliviaInOps(ops, mentionSeq, "@bob the deploy window opens at 17:00"));
  await closeAll(shown);
  // The worker released the device once done.
  for (let i = 0; i < 100 && (await deviceLockHeld(shown)); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await deviceLockHeld(shown), false, "the service worker released the device");

  // ---- pushes it cannot open: "New message" ----
  const never = { v: 1, orgId, channelId: ops, seq: mentionSeq + 50, senderId: owner.user.id };
  const unknown = await push.notification(shown, never, `parley:${ops}:${mentionSeq + 50}`);
  assert.equal(unknown.title, "New message");
  assert.ok(!unknown.body.includes("deploy"));
  const foreign = await push.notification(
    shown,
    { v: 1, orgId: "org_someone_else", channelId: ops, seq: mentionSeq, senderId: owner.user.id },
    `parley:${ops}:${mentionSeq}`,
  );
  assert.equal(foreign.title, "New message", "another org's push is not opened with this device's session");
  assert.ok(!foreign.body.includes("deploy"));
  const secret = (await owner.api("POST", "/channels", { name: "secret", kind: "private" })).body.id as string;
  const elsewhere = await push.notification(shown, { v: 1, orgId, channelId: secret, seq: 1, senderId: owner.user.id }, `parley:${secret}:1`);
  assert.equal(elsewhere.title, "New message", "a channel Bob is not a member of is not opened");
  await closeAll(shown);

  // ---- Bob mutes #ops (on another device): a push for a mention there shows nothing, content least of all ----
  const quietSeq = await say("@bob can you check the alerts");
  assert.equal(r.accepted().length, 2, "pushed before the mute");
  assert.equal((await bob.api("PUT", `/me/notifications/channels/${ops}`, { level: "muted" })).status, 200);
  const muted = push.mark();
  await push.deliver(r.accepted()[1]!.plaintext!);
  await push.pushDone(muted);
  assert.deepEqual(push.displayedSince(muted), [], "nothing displayed for a muted channel");
  for (let i = 0; i < 100 && (await deviceLockHeld(shown)); i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await notifications(shown), [], "nothing shown for a muted channel");
  assert.equal((await bob.api("PUT", `/me/notifications/channels/${ops}`, { level: "default" })).status, 200);

  // ---- Bob opens the app again while the device is held as the service worker holds it (the device lock
  // and the worker's marker, taken here by the manifest page): the tab waits instead of saying
  // "open in another tab", then starts and shows the messages the worker decrypted ----
  await shown.evaluate(
    () =>
      new Promise<void>((held) => {
        void navigator.locks.request("parley-device", () =>
          navigator.locks.request("parley-device-sw", () => {
            held();
            return new Promise<void>((release) => ((window as unknown as { release: () => void }).release = release));
          }),
        );
      }),
  );
  const again = await context.newPage();
  again.setDefaultTimeout(15_000);
  again.on("pageerror", (err) => suite.errors.push(`pageerror: ${err.message}`));
  await again.goto(`${origin}/c/${ops}`);
  await new Promise((r) => setTimeout(r, 3_000));
  assert.equal(await again.getByText("Parley is open in another tab").count(), 0, "the tab waits for the service worker");
  assert.equal(await again.getByRole("button", { name: "Sign out" }).count(), 0, "and does not run the client meanwhile");
  await shown.evaluate(() => (window as unknown as { release: () => void }).release());
  await again.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });
  await again.getByRole("heading", { name: "ops" }).waitFor();
  await again.locator("main article.msg", { hasText: "the deploy window opens at 17:00" }).waitFor();
  await again.locator("main article.msg", { hasText: "can you check the alerts" }).waitFor();
  assert.equal(quietSeq, mentionSeq + 1);

  assert.deepEqual(suite.errors, []);
});
