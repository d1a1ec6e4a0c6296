/**
 * A channel with many messages (1,000 in the suite; PARLEY_SCROLL_MESSAGES=10000
 * for the full-size run) stays virtualised in the browser: only a screenful of rows is in
 * the DOM, and scrolling from the newest message back to the first one works.
 * Long frames (> 50 ms) while scrolling are printed, not asserted (benchmarks
 * never gate CI on wall-clock numbers).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { ParleyClient } from "@parley/sdk";
import type { TestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, makeUser, TEST_PASSWORD } from "@parley/server/testing/factories";
import { launchChromium, newUserPage, shot, startWebServer } from "./browser-support.ts";

// The suite uses 1,000 (each message is decrypted in the client worker, ~15 ms each);
// PARLEY_SCROLL_MESSAGES=10000 runs the full-size check.
const N = Number(process.env.PARLEY_SCROLL_MESSAGES ?? 1_000);
let server: TestServer;
let browser: Browser;

before(async () => {
  server = await startWebServer();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test(`a ${N}-message channel scrolls virtualised back to its first message`, { timeout: 900_000 }, async (t) => {
  const owner = await bootstrapOrg(server, { orgSlug: "scroll", username: "alice" });
  const bob = await makeUser(server, owner, { username: "bob", displayName: "Bob" });
  const alice = await ParleyClient.login({ baseUrl: server.url, org: "scroll", username: "alice", password: TEST_PASSWORD });
  t.after(() => alice.close());
  alice.connect();
  await alice.waitUntilLive();

  const errors: string[] = [];
  const page = await newUserPage(browser, errors);
  await page.goto(server.url);
  await page.getByLabel("Organisation").fill("scroll");
  await page.getByLabel("Username").fill("bob");
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByText("Welcome to").waitFor();
  await page.getByText("Connected").waitFor();

  const channel = await alice.createChannel({ name: "big", kind: "public", topic: "", members: [] });
  await alice.addMembers(channel.id, [bob.user.id]);
  const started = Date.now();
  for (let i = 1; i <= N; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, N - i + 1) }, (_, k) => alice.sendMessage(channel.id, `message ${i + k} of the big channel`)));
  }
  console.log(`sent ${N} encrypted messages in ${Date.now() - started} ms`);

  await page.getByRole("link", { name: /Channel big/ }).click();
  await page.locator("article.msg", { hasText: `message ${N} of` }).waitFor({ timeout: 300_000 });
  console.log(`rendered the newest of ${N} after ${Date.now() - started} ms`);
  const domRows = await page.locator(".vrow").count();
  assert.ok(domRows < 120, `only visible rows are in the DOM (found ${domRows})`);

  // Scroll to the top in steps, as a user flinging upwards would, counting long frames.
  const stats = await page.evaluate(async () => {
    const el = document.querySelector<HTMLElement>(".messages")!;
    const frames: number[] = [];
    let last = performance.now();
    // Until the top is reached and stays reached (older pages may still load in).
    for (let i = 0, still = 0; i < 5000 && still < 30; i++) {
      still = el.scrollTop === 0 ? still + 1 : 0;
      el.scrollTop = Math.max(0, el.scrollTop - 3000);
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      frames.push(now - last);
      last = now;
    }
    frames.sort((a, b) => a - b);
    return { frames: frames.length, over50: frames.filter((f) => f > 50).length, p50: frames[Math.floor(frames.length / 2)], max: frames[frames.length - 1] };
  });
  console.log(`scroll to top: ${JSON.stringify(stats)}`);
  await page.locator("article.msg", { hasText: "message 1 of" }).waitFor();
  assert.ok((await page.locator(".vrow").count()) < 120);
  await shot(page, "scroll-top");
  assert.deepEqual(
    errors.filter((e) => !/status of 40[134]/.test(e)),
    [],
  );
});
