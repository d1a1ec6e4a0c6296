/**
 * The web app in a real browser: two browser contexts are two users of one
 * org. Setup, invite, channel, messages both ways, thread, reaction, edit,
 * delete, reload with history, admin console, devices, and deactivation
 * ending the other user's open session. Screenshots go to
 * test-results/screenshots/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { browserSuite, newUserPage, shot } from "./browser-support.ts";

const suite = browserSuite();

/** The message article containing `text` in the main channel view. */
const msg = (page: Page, text: string) => page.locator("main article.msg", { hasText: text });

async function hoverAction(page: Page, text: string, action: string): Promise<void> {
  const m = msg(page, text).first();
  await m.hover();
  await m.getByRole("button", { name: action }).click();
}

test("two users chat end to end in the browser", async () => {
  const alice = await newUserPage(suite.browser, suite.errors);
  const bob = await newUserPage(suite.browser, suite.errors);

  // ---- first run: Alice sets up the org --------------------------------
  await alice.goto(suite.server.url);
  await alice.getByLabel("Setup token").fill(TEST_SETUP_TOKEN);
  await alice.getByLabel("Organisation name").fill("Acme Bank");
  assert.equal(await alice.getByLabel("Organisation id").inputValue(), "acme-bank");
  await alice.getByLabel("Your name").fill("Alice Admin");
  await alice.getByLabel("Username").fill("alice");
  await alice.getByLabel("Password").fill("harbour-lights-1");
  await alice.getByRole("button", { name: "Create organisation" }).click();
  await alice.getByText("Welcome to Acme Bank").waitFor();

  // ---- Alice creates a channel -----------------------------------------
  await alice.getByRole("button", { name: "Create channel" }).click();
  await alice.getByLabel("Name").fill("general");
  await alice.getByLabel("Topic").fill("Everything at Acme");
  await alice.getByRole("button", { name: "Create", exact: true }).click();
  await alice.getByRole("heading", { name: "# general" }).waitFor();

  // ---- Alice invites Bob from the admin console ------------------------
  await alice.getByRole("link", { name: "Admin" }).click();
  await alice.getByRole("tab", { name: "Invites" }).click();
  await alice.getByRole("button", { name: "Create invite link" }).click();
  const link = await alice.getByLabel(/Invite link/).inputValue();
  assert.match(link, /\/invite\/[A-Za-z0-9_-]+$/);

  await bob.goto(link);
  await bob.getByText("You are invited to").waitFor();
  await bob.getByLabel("Your name").fill("Bob Builder");
  await bob.getByLabel("Username").fill("bob");
  await bob.getByLabel("Password").fill("bob-password-12");
  await bob.getByRole("button", { name: "Join" }).click();
  await bob.getByText("Welcome to Acme Bank").waitFor();

  // ---- Bob joins #general -----------------------------------------------
  await bob.getByRole("button", { name: "Browse channels" }).click();
  await bob.getByRole("button", { name: "Join general" }).click();
  await bob.getByRole("heading", { name: "# general" }).waitFor();

  // ---- messages both ways ----------------------------------------------
  await alice.getByRole("link", { name: /Channel general/ }).click();
  const aliceBox = alice.getByRole("textbox", { name: "Message #general" });
  await aliceBox.fill("Hello **Bob**, welcome to `#general`");
  await aliceBox.press("Enter");
  await msg(bob, "welcome to").getByText("Bob", { exact: true }).waitFor();
  assert.equal(await msg(bob, "welcome to").locator("strong").textContent(), "Bob");

  const bobBox = bob.getByRole("textbox", { name: "Message #general" });
  await bobBox.fill("Hi Alice!");
  await bobBox.press("Shift+Enter");
  await bobBox.type("Second line");
  await bobBox.press("Enter");
  await msg(alice, "Hi Alice!").waitFor();
  assert.match(await msg(alice, "Hi Alice!").innerText(), /Hi Alice!\s*\n\s*Second line/);
  await alice
    .getByText("Another one to delete")
    .waitFor({ state: "detached" })
    .catch(() => undefined);
  await aliceBox.fill("Another one to delete");
  await aliceBox.press("Enter");
  await msg(bob, "Another one to delete").waitFor();

  // ---- thread: Alice replies to Bob's message ----------------------------
  await hoverAction(alice, "Hi Alice!", "Reply in thread");
  const thread = alice.getByRole("complementary", { name: "Thread" });
  await thread.getByRole("textbox", { name: "Reply in thread" }).fill("Replying in a thread");
  await thread.getByRole("textbox", { name: "Reply in thread" }).press("Enter");
  await thread.getByText("Replying in a thread").waitFor();
  await msg(bob, "Hi Alice!").getByRole("button", { name: "1 reply" }).click();
  const bobThread = bob.getByRole("complementary", { name: "Thread" });
  await bobThread.getByText("Replying in a thread").waitFor();
  await shot(bob, "thread");
  await bob.keyboard.press("Escape");
  await bobThread.waitFor({ state: "detached" });

  // ---- reaction: Bob reacts to Alice's message ---------------------------
  await hoverAction(bob, "welcome to", "Add reaction");
  await bob.getByRole("menuitem", { name: "React with 👍" }).click();
  await msg(alice, "welcome to").getByRole("button", { name: /👍 1/ }).waitFor();

  // ---- edit and delete ---------------------------------------------------
  await hoverAction(alice, "welcome to", "Edit message");
  const editor = alice.getByRole("textbox", { name: "Edit message" });
  await editor.fill("Hello **Bob**, welcome aboard");
  await editor.press("Enter");
  await msg(bob, "welcome aboard").getByText("(edited)").waitFor();
  await hoverAction(alice, "Another one to delete", "Delete message");
  await alice.getByRole("alertdialog", { name: "Delete message?" }).getByRole("button", { name: "Delete" }).click();
  await bob.getByText("This message was deleted.").waitFor();
  await alice.keyboard.press("Escape"); // closes Alice's thread panel
  await shot(alice, "chat");

  // ---- reload: history is still there -----------------------------------
  await bob.reload();
  await msg(bob, "welcome aboard").waitFor();
  await msg(bob, "Hi Alice!").waitFor();
  await bob.getByText("This message was deleted.").waitFor();
  await msg(bob, "welcome aboard").getByRole("button", { name: /👍 1/ }).waitFor();
  await shot(bob, "chat-after-reload");

  // ---- Ctrl+K switcher ----------------------------------------------------
  await alice.keyboard.press("Control+k");
  await alice.getByRole("combobox", { name: "Channel name" }).fill("gen");
  await alice.keyboard.press("Enter");
  await alice.getByRole("heading", { name: "# general" }).waitFor();

  // ---- devices and admin console; deactivation ends Bob's session ---------
  await alice.getByRole("link", { name: "Devices" }).click();
  await alice.getByText("this device", { exact: true }).waitFor();
  await shot(alice, "devices");
  await alice.getByRole("link", { name: "Admin" }).click();
  await alice.getByRole("cell", { name: "@bob" }).waitFor();
  await alice.getByRole("button", { name: "Devices" }).nth(1).click();
  await alice
    .getByRole("button", { name: /^Revoke / })
    .first()
    .waitFor();
  await shot(alice, "admin");
  await alice.getByRole("button", { name: "Deactivate bob" }).click();
  await alice.getByRole("button", { name: "Reactivate bob" }).waitFor();
  await bob.getByText(/Your session has ended/).waitFor();
  await bob.getByRole("button", { name: "Sign in", exact: true }).waitFor();
  await shot(bob, "session-ended");

  assert.deepEqual(
    suite.errors.filter((e) => !/status of 40[134]/.test(e)),
    [],
  );
});
