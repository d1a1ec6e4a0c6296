/**
 * The DM of the call tests: Alice opens it from the web app and writes; Bob opens it and answers.
 * Bob's answer reaching Alice proves his device is in the DM's group at the epoch Alice has (it
 * may have joined after her first message, which "history from joining" then hides from him).
 */
import type { Browser, Page } from "playwright-core";
import { bootstrapOrg, makeUser, type TestUser } from "@parley/server/testing/factories";
import type { TestServer } from "@parley/server/testing/harness";
import { newUserPage, signIn } from "./browser-support.ts";
import { relayOnly } from "./call-pages.ts";

export async function openDmBothWays(alice: Page, bob: Page, lines: { alice: string; bob: string }): Promise<void> {
  await alice.getByRole("button", { name: "Create channel" }).waitFor();
  await alice.getByRole("button", { name: "New direct message" }).click();
  await alice.getByRole("checkbox", { name: "Bob Member (@bob)" }).check();
  await alice.getByRole("button", { name: "Start conversation" }).click();
  await alice.getByRole("heading", { name: "Bob Member" }).waitFor();
  const box = alice.getByRole("textbox", { name: "Message Bob Member" });
  await box.fill(lines.alice);
  await box.press("Enter");
  await bob.getByRole("link", { name: /^Direct message with Alice Owner/ }).click({ timeout: 30_000 });
  const bobBox = bob.getByRole("textbox", { name: "Message Alice Owner" });
  await bobBox.fill(lines.bob);
  await bobBox.press("Enter");
  await alice.locator("main article.msg", { hasText: lines.bob }).waitFor({ timeout: 30_000 });
}

/**
 * The 1:1 call tests' start: org `org` with Alice (owner) and Bob, each signed in on a page of
 * `browser` whose peer connections are relay only (call-pages.ts), and their DM (`lines`).
 */
export async function aliceAndBobInDm(
  server: TestServer,
  browser: Browser,
  errors: string[],
  org: string,
  lines: { alice: string; bob: string },
): Promise<{ owner: TestUser; alice: Page; bob: Page }> {
  const owner = await bootstrapOrg(server, {
    orgSlug: org,
    orgName: `Acme ${org[0]!.toUpperCase()}${org.slice(1)}`,
    username: "alice",
    displayName: "Alice Owner",
  });
  await makeUser(server, owner, { username: "bob", displayName: "Bob Member" });
  const alice = await newUserPage(browser, errors);
  const bob = await newUserPage(browser, errors);
  // Two pages' call media through a relay on a small shared machine: a click may wait for a busy renderer.
  for (const page of [alice, bob]) page.setDefaultTimeout(45_000);
  await alice.context().addInitScript(relayOnly);
  await bob.context().addInitScript(relayOnly);
  await signIn(alice, server.url, org, "alice", { deviceName: "Alice laptop", until: "signed-in", live: true });
  await signIn(bob, server.url, org, "bob", { deviceName: "Bob laptop", until: "signed-in", live: true });
  await openDmBothWays(alice, bob, lines);
  return { owner, alice, bob };
}
