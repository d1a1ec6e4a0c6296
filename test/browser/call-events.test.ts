/**
 * A call's events in the DM and as notifications (issue 14), in real chromium against a real server
 * and coturn: Alice calls Bob; the "started" row appears on his side while it rings and its Join
 * answers it; after a few seconds Alice hangs up and both sides show "Call ended · N s · Alice Owner,
 * Bob Member" (one event each: the rule of sdk call-events.ts). Then Bob's tab goes to the
 * background and Alice calls again: his tab shows an "Incoming call" notification, which becomes
 * "Missed call" when the ring runs out; both DMs show the missed call ("Missed call from Alice
 * Owner · Call back" on Bob's side). The server's SQLite file holds none of the events' words.
 * Screenshot (test-results/screenshots/; copy in docs/screenshots/): call-events.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { startTestCoturn, type TestCoturn } from "@parley/server/testing/coturn";
import type { TestServer } from "@parley/server/testing/harness";
import { launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";
import { notifications, NotificationWatch } from "./push-support.ts";
import { openDmBothWays } from "./call-dm.ts";
import { needlesOf, scanSqlite } from "../support/canary-scan.ts";

const RING_SECONDS = 12;
const errors: string[] = [];
const suite = {} as { coturn: TestCoturn; server: TestServer; browser: Browser };

before(async () => {
  suite.coturn = await startTestCoturn();
  const turn = { turnServer: `127.0.0.1:${suite.coturn.port}`, turnSecret: suite.coturn.secret };
  suite.server = await startWebServer({ ...turn, callRingSeconds: RING_SECONDS });
  suite.browser = await launchChromium(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]);
});
after(async () => {
  await suite.browser?.close();
  await suite.server?.stop();
  await suite.coturn?.stop();
});

/** The page's call event rows (system rows of the timeline), their accessible names without the time. */
async function rows(page: Page): Promise<string[]> {
  const labels = await page.locator("main article.call-event").evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""));
  return labels.map((l) => l.replace(/ at [^·]*$/, ""));
}

async function untilRows(page: Page, what: string, ok: (r: string[]) => boolean): Promise<string[]> {
  const end = Date.now() + 30_000;
  let r = await rows(page);
  while (!ok(r)) {
    if (Date.now() > end) assert.fail(`${what}: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 200));
    r = await rows(page);
  }
  return r;
}

const ENDED = /^Call ended · \d+ s · Alice Owner, Bob Member$/;

test("call events: start and end rows on both sides with the duration; a missed call notifies the callee's background tab", { timeout: 300_000 }, async () => {
  const { server, browser } = suite;
  const owner = await bootstrapOrg(server, { orgSlug: "callev", orgName: "Acme Calls", username: "alice", displayName: "Alice Owner" });
  await makeUser(server, owner, { username: "bob", displayName: "Bob Member" });
  const alice = await newUserPage(browser, errors);
  const bob = await newUserPage(browser, errors);
  await bob.context().grantPermissions(["notifications"], { origin: server.url });
  await signIn(alice, server.url, "callev", "alice", { deviceName: "Alice laptop", until: "signed-in", live: true });
  await signIn(bob, server.url, "callev", "bob", { deviceName: "Bob laptop", until: "signed-in", live: true });

  // ---- a DM both devices hold the keys of ----------------------------------------------
  await openDmBothWays(alice, bob, { alice: "Call in a sec", bob: "Ready" });

  // ---- answered: Bob joins from the "started" row while it rings -----------------------
  await alice.getByRole("button", { name: "Start call" }).click();
  await bob.getByRole("alertdialog", { name: "Alice Owner" }).waitFor();
  const startedRow = bob.locator("main article.call-event", { hasText: "Alice Owner started a call" });
  await startedRow.getByRole("button", { name: "Join" }).click({ timeout: 30_000 });
  for (const page of [alice, bob])
    await page
      .getByRole("region", { name: "Call", exact: true })
      .getByRole("status")
      .getByText(/^\d+:\d\d$/)
      .waitFor({ timeout: 30_000 });
  await alice.waitForTimeout(3_000);
  await alice.getByRole("region", { name: "Call", exact: true }).getByRole("button", { name: "Hang up" }).click();
  for (const [name, page] of [
    ["Alice", alice],
    ["Bob", bob],
  ] as const) {
    const r = await untilRows(page, `${name} sees the call's end`, (x) => x.some((l) => ENDED.test(l)));
    assert.deepEqual(
      r.map((l) => (ENDED.test(l) ? "ended" : l)),
      [name === "Alice" ? "You started a call" : "Alice Owner started a call", "ended"],
      `${name}: one start and one end`,
    );
    const secs = Number(/· (\d+) s ·/.exec(r[1]!)![1]);
    assert.ok(secs >= 3 && secs < 60, `${name}: the duration counts the call (${secs} s)`);
  }

  // ---- unanswered, Bob's tab in the background: a ring, then a missed-call notification ----
  await bob.evaluate(() => navigator.serviceWorker.ready);
  const cdp = await bob.context().newCDPSession(bob);
  const watch = await NotificationWatch.open(cdp, server.url);
  await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: false });
  const other = await bob.context().newPage();
  await other.goto(`${server.url}/profile`);
  await other.bringToFront();
  await bob.waitForFunction(() => !document.hasFocus());

  await alice.getByRole("button", { name: "Start call" }).click();
  const ring = await watch.shown(bob, (n) => n.tag.startsWith("parley-call:") && n.body === "Incoming call", "the ring notification");
  assert.equal(ring.title, "Alice Owner");
  const missed = await watch.shown(bob, (n) => n.tag === ring.tag && n.body === "Missed call", "the missed-call notification", (RING_SECONDS + 30) * 1000);
  assert.equal(missed.title, "Alice Owner");
  assert.deepEqual(
    (await notifications(bob)).filter((n) => n.tag === ring.tag).map((n) => n.body),
    ["Missed call"],
    "the missed call replaced the ring",
  );
  await untilRows(alice, "Alice sees the unanswered call", (x) => x.at(-1) === "Call not answered");
  await bob.bringToFront();
  const bobRows = await untilRows(bob, "Bob sees the missed call", (x) => x.at(-1) === "Missed call from Alice Owner");
  assert.equal(bobRows.filter((l) => l.startsWith("Missed call")).length, 1, JSON.stringify(bobRows));
  assert.equal(bobRows.filter((l) => l === "Alice Owner started a call").length, 2, JSON.stringify(bobRows));
  await bob.locator("main article.call-event", { hasText: "Missed call from Alice Owner" }).getByRole("button", { name: "Call back" }).waitFor();
  await bob.waitForTimeout(300);
  await shot(bob, "call-events");

  // ---- the server stored none of it in clear --------------------------------------------
  const file = server.deps.storage.file ?? `${server.database.dataDir}/parley.db`;
  // The events' words and their one content field the server has no reason to hold (`startedBy`
  // and `participants` are also fields of the server's own Call model, so they are no evidence).
  const words = ["Call started", "Call ended", "Missed call", "durationMs"];
  for (const w of words)
    assert.deepEqual(
      scanSqlite(file, needlesOf(w)).map((h) => `${h.encoding}@${h.where}: ${h.context}`),
      [],
      `the server stored "${w}"`,
    );
  assert.ok(scanSqlite(file, needlesOf("Bob Member")).length > 0, "control: the scan reads the server's database");

  assert.deepEqual(
    errors.filter((e) => !/status of 40[0-9]/.test(e)),
    [],
  );
});
