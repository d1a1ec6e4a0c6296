/**
 * A call while no Parley tab is open (issue 14), in real chromium against a real server: Bob's
 * only app tab is closed; Olivia (an SDK device) calls him in their DM. Her client posts the
 * call's encrypted "started" event; the server's ids-only Web Push for it reaches a local push
 * endpoint and is handed to Bob's service worker (as in push-no-tab.test.ts), which opens it
 * with the device's keys and shows "Incoming call" from Olivia. She gives up: her client posts
 * "missed", whose push replaces the ring's notification (one tag per call) with "Missed call".
 * Neither push nor notification carries anything the server could not see; the texts come from
 * the decrypted events.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { CDPSession, Page } from "playwright-core";
import type { ParleyClient } from "@parley/sdk";
import { waitForJobsIdle } from "@parley/server/testing/jobs";
import { browserSuite, newUserPage, sdkDevice, signIn } from "./browser-support.ts";
import { notifications, NotificationWatch, pushOrg, type PushOrg } from "./push-support.ts";

const suite = browserSuite({ pushAllowLoopback: true, pushMinIntervalSeconds: 0 });
let org: PushOrg | undefined;
let olivia: ParleyClient | undefined;
after(async () => {
  await olivia?.close();
  await org?.receiver.close();
});

test("with no tab open, a pushed call event rings as Incoming call and turns into Missed call", { timeout: 240_000 }, async () => {
  const o = (org = await pushOrg(suite.server));
  const origin = suite.server.url;
  // Bob signs in on this browser, reads Olivia's DM (his device joins its group), closes the tab.
  const page: Page = await newUserPage(suite.browser, suite.errors);
  const context = page.context();
  await context.grantPermissions(["notifications"], { origin });
  await signIn(page, origin, "notify", "bob", { deviceName: "Bob desktop", until: "signed-in", live: true });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  olivia = await sdkDevice(origin, "notify", "olivia", { live: true });
  const dm = await olivia.openDm([o.bob.user.id]);
  await olivia.sendMessage(dm.id, "call you in a minute");
  await page.getByRole("link", { name: /^Direct message with Olivia Owner/ }).click({ timeout: 30_000 });
  await page.locator("main article.msg", { hasText: "call you in a minute" }).waitFor();
  await new Promise((r) => setTimeout(r, 1_000)); // the worker's debounced writes land
  await page.close();
  await waitForJobsIdle(suite.server.deps.db);
  const before = o.receiver.accepted().length;

  const blank = await context.newPage();
  const cdp: CDPSession = await context.newCDPSession(blank);
  const push = await NotificationWatch.open(cdp, origin);
  const shown = await context.newPage();
  await shown.goto(`${origin}/manifest.webmanifest`);
  /** The pushes for Bob since `from`, once at least `n` arrived. */
  const pushesSince = async (from: number, n: number) => {
    for (let i = 0; i < 200 && o.receiver.accepted().length - from < n; i++) {
      await waitForJobsIdle(suite.server.deps.db);
      await new Promise((r) => setTimeout(r, 100));
    }
    const got = o.receiver.accepted().slice(from);
    assert.ok(got.length >= n, `expected ${n} push(es), got ${got.length}`);
    return got;
  };

  // ---- Olivia calls: her client posts "started"; its push rings Bob's browser with no tab ----
  const call = await olivia.calls.start(dm.id);
  const [ringPush] = await pushesSince(before, 1);
  const ringIds = JSON.parse(ringPush!.plaintext!) as { channelId: string; seq: number };
  assert.equal(ringIds.channelId, dm.id);
  // Ids only: no word of the call (a search for "call" in the text also hit random ids now and then).
  assert.deepEqual(Object.keys(ringIds).sort(), ["channelId", "orgId", "senderId", "seq", "v"], "the push carries ids only");
  assert.ok(!ringPush!.plaintext!.includes(call.id), "not even the call's id");
  const tag = `parley-call:${call.id}`;
  const ring = await push.notification(shown, ringPush!.plaintext!, tag);
  assert.equal(ring.title, "Olivia Owner");
  assert.equal(ring.body, "Incoming call");

  // ---- she gives up: "missed" is posted; its push replaces the ring with Missed call ----
  const mark = o.receiver.accepted().length;
  await olivia.calls.cancel(call.id);
  const [missedPush] = await pushesSince(mark, 1);
  await push.notification(shown, missedPush!.plaintext!, tag, (n) => n.body === "Missed call");
  const now = (await notifications(shown)).filter((x) => x.tag === tag);
  assert.deepEqual(
    now.map((n) => [n.title, n.body]),
    [["Olivia Owner", "Missed call"]],
    "one notification for the call, now saying it was missed",
  );
  assert.deepEqual(suite.errors, []);
});
