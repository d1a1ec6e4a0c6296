/**
 * Edits and code blocks in a real browser (issue 13): a message with a highlighted ```ts
 * block and a copy button, edited twice; "(edited)" opens the edit history with every
 * version, oldest first, decrypted in the browser. Screenshots: code-block, edit-history
 * (test-results/screenshots/; copies in docs/screenshots/).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bootstrapOrg } from "@parley/server/testing/factories";
import { browserSuite, createChannel, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

test("a code block is highlighted, and '(edited)' shows every version of the message", { timeout: 180_000 }, async () => {
  await bootstrapOrg(suite.server, { orgSlug: "edits", username: "alice", displayName: "Alice Admin" });
  const page = await newUserPage(suite.browser, suite.errors);
  await signIn(page, suite.server.url, "edits", "alice", { deviceName: "Alice browser", until: "signed-in", live: true });
  await createChannel(page, "dev");
  const box = page.getByRole("textbox", { name: "Message #dev" });
  await box.fill(
    "Try this:\n```ts\nconst limit: number = 15; // minutes\nexport function ok(sentAt: number) {\n  return Date.now() - sentAt < limit * 60_000;\n}\n```",
  );
  await box.press("Enter");
  const msg = page.locator("main article.msg", { hasText: "Try this" });
  await msg
    .locator(".code-block .hljs-keyword")
    .first()
    .waitFor()
    .catch(async (err: unknown) => {
      // What the page showed. (The composer was once empty here: the channel had opened behind the
      // still-open create dialog, whose inert page took no typing; home.test.ts covers that.)
      const state = {
        composer: await box.inputValue().catch(String),
        pending: await page.locator(".pending-sends").count(),
        channel: await page.locator("main h1").allTextContents(),
        messages: await page.locator("main .messages").innerText().catch(String),
      };
      throw new Error(`${String(err)}\npage: ${JSON.stringify(state)}`);
    });
  assert.equal(await msg.locator(".code-block-lang").textContent(), "ts");
  assert.equal(await msg.locator("script, img").count(), 0);
  await shot(page, "code-block");

  for (const text of ["Try this one (v2)", "Try this one, final (v3)"]) {
    await msg.hover();
    await msg.getByRole("button", { name: "Edit message" }).click();
    const editor = page.getByRole("textbox", { name: "Edit message" });
    await editor.fill(text);
    await editor.press("Enter");
    await page.locator("main article.msg", { hasText: text }).waitFor();
  }
  const edited = page.locator("main article.msg", { hasText: "final (v3)" });
  await edited.getByRole("button", { name: "(edited)" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit history" });
  const items = dialog.getByRole("listitem");
  await items.nth(2).waitFor();
  assert.deepEqual(await items.evaluateAll((els) => els.map((e) => e.getAttribute("aria-label"))), ["Original", "Edit 1", "Edit 2"]);
  assert.match((await items.nth(0).textContent()) ?? "", /Try this:.*const limit/s);
  assert.equal(await items.nth(0).locator(".hljs-keyword").first().textContent(), "const");
  assert.match((await items.nth(1).textContent()) ?? "", /Try this one \(v2\)/);
  assert.match((await items.nth(2).textContent()) ?? "", /current.*final \(v3\)/s);
  await shot(page, "edit-history");
  assert.deepEqual(
    suite.errors.filter((e) => !/status of 40[134]/.test(e)),
    [],
  );
});
