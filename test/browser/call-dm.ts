/**
 * The DM of the call tests: Alice opens it from the web app and writes; Bob opens it and answers.
 * Bob's answer reaching Alice proves his device is in the DM's group at the epoch Alice has (it
 * may have joined after her first message, which "history from joining" then hides from him).
 */
import type { Page } from "playwright-core";

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
