/**
 * The compliance archive as members see it (issue 11, ADR 0008), against a real server and
 * chromium: the owner stores a signed archive policy covering #trading; a member's browser shows
 * the "Archived for compliance" badge in the channel header and the sidebar, and the security
 * panel names the archive, its policy version, since when and the signer key's fingerprint.
 * Then the server presents a policy signed by another key: after a reload the browser's device —
 * which pinned the first signer in its key store — blocks sending there and says why.
 * Screenshots (test-results/screenshots/; copies in docs/screenshots/): archive-badge, archive-blocked.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { archiveKeyFingerprint } from "@parley/crypto";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { newArchiveKeys, signedArchivePolicy } from "@parley/server/testing/archive";
import { browserSuite, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

test("a member sees the archive badge and the security panel's line; a swapped signer blocks sending", { timeout: 240_000 }, async () => {
  const owner = await bootstrapOrg(suite.server, { orgSlug: "archive", orgName: "Acme Trading", username: "olivia", displayName: "Olivia Owner" });
  const bob = await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Builder" });
  const orgId = owner.org.id;
  const trading = (await owner.api("POST", "/channels", { name: "trading", kind: "private", members: [bob.user.id] })).body.id as string;
  assert.equal((await owner.api("POST", "/channels", { name: "lunch", kind: "private", members: [bob.user.id] })).status, 201);
  const keys = newArchiveKeys();
  const stored = await owner.api("PUT", "/compliance/archive", signedArchivePolicy(keys, orgId, 1, { kinds: [], labels: [], channelIds: [trading] }));
  assert.equal(stored.status, 200);

  const page = await newUserPage(suite.browser, suite.errors);
  await signIn(page, suite.server.url, "archive", "bob", { deviceName: "Bob desktop", until: "signed-in", live: true });
  await page.getByRole("link", { name: "Channel trading, archived for compliance" }).click();
  await page.getByRole("heading", { name: "trading" }).waitFor();
  const badge = page.locator(".channel-head").getByTestId("archive-badge");
  await badge.waitFor();
  assert.equal((await badge.innerText()).trim(), "Archived for compliance");
  assert.match((await badge.getAttribute("title")) ?? "", /"Acme compliance archive" \(signed policy, version 1\)/);
  assert.equal(await page.getByRole("link", { name: "Channel lunch" }).count(), 1, "lunch carries no archive mark");

  const box = page.getByRole("textbox", { name: "Message #trading" });
  await box.fill("noted for the record");
  await box.press("Enter");
  await page.locator("main article.msg", { hasText: "noted for the record" }).waitFor();

  await page
    .locator(".channel-head")
    .getByRole("button", { name: /Encrypted/ })
    .click();
  const panel = page.getByRole("dialog", { name: "End-to-end encryption" });
  const line = panel.getByTestId("archive-line");
  await line.waitFor();
  const text = await line.innerText();
  assert.match(text, /Archived by "Acme compliance archive" \(policy version 1, since .+\)\./);
  assert.ok(text.includes(`Signer key ${archiveKeyFingerprint(keys.signer.publicKey)}.`), text);
  await shot(page, "archive-badge");
  await page.keyboard.press("Escape");

  // The server swaps in a policy signed by its own key (version 2): the device refuses it.
  const intruder = newArchiveKeys();
  const forged = signedArchivePolicy(intruder, orgId, 2, { kinds: [], labels: [], channelIds: [] });
  await suite.server.deps.db
    .insertInto("archive_policies")
    .values({
      org_id: orgId,
      version: 2,
      policy: JSON.stringify(forged.policy),
      signature: forged.signature,
      signer_key: forged.policy.signerKey,
      created_by: null,
      created_at: Date.now(),
    })
    .execute();
  await page.reload();
  // The reloaded page's worker starts the device again: it fetches the policy and judges it.
  await page.getByRole("link", { name: "Channel trading, archive status disputed" }).click({ timeout: 30_000 });
  const blocked = page.getByTestId("archive-blocked");
  await blocked.waitFor();
  assert.match(
    await blocked.innerText(),
    /Sending is blocked: the server reports this channel's archive status differently from your organisation's signed policy\./,
  );
  assert.match(await blocked.innerText(), /signed by another key/);
  assert.equal(await page.getByRole("textbox", { name: "Message #trading" }).isDisabled(), true);
  assert.equal((await page.locator(".channel-head").getByTestId("archive-badge").innerText()).trim(), "Archive status disputed");
  await shot(page, "archive-blocked");
  assert.deepEqual(
    suite.errors.filter((e) => !/status of 40[0-9]/.test(e)),
    [],
  );
});
