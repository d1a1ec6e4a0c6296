/**
 * Notifications in the web app (issue 13), against a real server and Debian chromium:
 * - The profile's Notifications section (level, quiet hours) and a channel's override in its
 *   header change the server's settings (read back over the API).
 * - The service worker's `push` handler: a push with Parley's ids-only payload, delivered to
 *   the registered worker through CDP (`ServiceWorker.deliverPushMessage`; no real push service
 *   is reachable here), shows "New message" with the channel's name and carries the channel and
 *   seq for the click (seq 1 is no message the tab can show; decrypted text: notifications.test.ts,
 *   push-no-tab.test.ts).
 * Screenshot (test-results/screenshots/; copy in docs/screenshots/): notification-settings.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { bootstrapOrg, type TestUser } from "@parley/server/testing/factories";
import type { TestServer } from "@parley/server/testing/harness";
import { createChannel, launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";
import { notifications, NotificationWatch } from "./push-support.ts";

const ORG = "notify";
let server: TestServer;
let browser: Browser;
let owner: TestUser;
const errors: string[] = [];

before(async () => {
  server = await startWebServer();
  browser = await launchChromium();
  owner = await bootstrapOrg(server, { orgSlug: ORG, username: "owner" });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Poll `read` until `ok` holds (the UI saves asynchronously). */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() - t0 > 15_000) throw new Error(`${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("notification settings on the profile and in a channel's header; a push shows New message in the channel", { timeout: 240_000 }, async () => {
  const page = await newUserPage(browser, errors);
  await page.context().grantPermissions(["notifications"], { origin: server.url });
  await signIn(page, server.url, ORG, "owner");
  await createChannel(page, "general");
  const channelId = new URL(page.url()).pathname.split("/")[2]!;
  const settings = async () => (await owner.api("GET", "/me/notifications")).body;

  // The channel's override, in its header.
  await page.getByLabel("Notifications for this channel").selectOption("muted");
  await eventually(
    settings,
    (s) => s.channels.some((c: { channelId: string; level: string }) => c.channelId === channelId && c.level === "muted"),
    "muted override",
  );

  // The profile's section.
  await page.getByRole("link", { name: "Profile" }).click();
  const section = page.getByRole("region", { name: "Notifications" });
  await section.getByLabel("Mentions and direct messages").check();
  await section.getByLabel("Quiet hours every day").check();
  await section.getByLabel("Quiet from").fill("22:00");
  await section.getByLabel("Quiet until").fill("07:00");
  await section.getByRole("button", { name: "Save" }).click();
  await section.getByText("Notification settings saved.").waitFor();
  const s = await settings();
  assert.equal(s.level, "mentions");
  assert.equal(s.dndSchedule.length, 7);
  assert.ok(s.dndSchedule.every((w: { start: number; end: number }) => w.start === 22 * 60 && w.end === 7 * 60));
  await section.scrollIntoViewIfNeeded();
  await shot(page, "notification-settings");

  // A push as the server sends it (ids only), delivered to the service worker through CDP.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const cdp = await page.context().newCDPSession(page);
  const sw = await NotificationWatch.open(cdp, server.url);
  const payload = { v: 1, orgId: owner.org.id, channelId, seq: 1, senderId: owner.user.id };
  const tag = `parley:${channelId}:1`;
  const shown = await sw.notification(page, payload, tag);
  assert.deepEqual(shown, { title: "New message", body: "in #general", tag, data: { channelId, seq: 1 } });
  assert.deepEqual(await notifications(page), [shown], "one notification");
  assert.deepEqual(errors, []);
});
