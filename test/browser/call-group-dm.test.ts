/**
 * A group DM's call in the web app (issue 14) against a real Parley server and a real Janus: Alice
 * calls from the group DM's header, the server rings Bob and Carol, each accepts from the
 * incoming-call dialog and lands in the group call screen; every page decodes the two others'
 * video and hears them, SFrame on every sender and receiver. In the call, Alice opens the
 * participants panel from the encryption indicator, verifies Bob through the safety-number dialog,
 * and Bob's tile turns "Verified" while Carol's stays "Not verified". The device menu's speaker
 * choice: when Chromium lists audio outputs, choosing one routes every remote audio element of the
 * call to it (setSinkId, watched by an init script); when it lists none besides the default, the
 * menu has no Speaker (the component test speaker.component.test.tsx covers the routing then).
 * Screenshots (test-results/screenshots/; copies in docs/screenshots/): call-group-dm,
 * call-verified.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { newUserPage, shot, signIn } from "./browser-support.ts";
import { groupCallSuite, keepConnections, seesAndHearsTheOthers, sfuUp, SMALL_CAMERA } from "./call-pages.ts";

const suite = groupCallSuite();

/** Test-only: remember which output each media element was routed to (setSinkId), where the browser has it. */
function watchSinks(): void {
  const proto = HTMLMediaElement.prototype as HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };
  const native = proto.setSinkId;
  const w = window as unknown as { __sinks: Array<{ el: HTMLMediaElement; id: string }> };
  w.__sinks = [];
  if (!native) return;
  proto.setSinkId = function (this: HTMLMediaElement, id: string) {
    w.__sinks.push({ el: this, id });
    return native.call(this, id);
  };
}

const NAMES = ["Alice Owner", "Bob Member", "Carol Member"];

test(
  "a group DM's call: Alice calls from the header, Bob and Carol accept the ring and see each other; verified marks; speaker menu",
  { timeout: 480_000 },
  async () => {
    const { server, browser, errors } = suite;
    await sfuUp(server);
    const owner = await bootstrapOrg(server, { orgSlug: "gdm", orgName: "Acme GDM", username: "alice", displayName: NAMES[0] });
    for (const [i, name] of ["bob", "carol"].entries()) await makeUser(server, owner, { username: name, displayName: NAMES[i + 1] });
    const pages: Page[] = [];
    for (const username of ["alice", "bob", "carol"]) {
      const page = await newUserPage(browser, errors);
      page.setDefaultTimeout(45_000);
      await page.context().addInitScript(keepConnections, SMALL_CAMERA);
      await page.context().addInitScript(watchSinks);
      await signIn(page, server.url, "gdm", username, { deviceName: `${username} laptop`, until: "signed-in", live: true });
      pages.push(page);
    }
    const [alice, bob, carol] = pages as [Page, Page, Page];

    // ---- the group DM, everyone reading everyone (one epoch's keys on all three devices) ----------
    await alice.getByRole("button", { name: "Create channel" }).waitFor();
    await alice.getByRole("button", { name: "New direct message" }).click();
    await alice.getByRole("checkbox", { name: "Bob Member (@bob)" }).check();
    await alice.getByRole("checkbox", { name: "Carol Member (@carol)" }).check();
    await alice.getByRole("button", { name: "Start conversation" }).click();
    // The title lists the other members in the DM's member order (ids): either order.
    await alice.getByRole("heading", { name: /^(Bob Member, Carol Member|Carol Member, Bob Member)$/ }).waitFor();
    await alice.getByRole("textbox", { name: /^Message / }).fill("call in a minute");
    await alice.getByRole("textbox", { name: /^Message / }).press("Enter");
    for (const [page, who] of [
      [bob, "bob"],
      [carol, "carol"],
    ] as const) {
      await page.getByRole("link", { name: /^Direct message with / }).click({ timeout: 30_000 });
      const box = page.getByRole("textbox", { name: /^Message / });
      await box.fill(`ready ${who}`);
      await box.press("Enter");
    }
    for (const page of pages)
      for (const line of ["ready bob", "ready carol"]) await page.locator("main article.msg", { hasText: line }).waitFor({ timeout: 30_000 });

    // ---- Alice calls from the header; Bob and Carol get the ring and accept ------------------------
    const start = alice.getByRole("button", { name: "Start call" });
    assert.equal(await start.getAttribute("title"), "Call everyone in this conversation (end-to-end encrypted)");
    await start.click();
    await alice.getByRole("region", { name: "Call", exact: true }).waitFor();
    for (const page of [bob, carol]) await page.getByRole("alertdialog", { name: "Alice Owner" }).waitFor({ timeout: 30_000 });
    // The ring names the conversation's other member too.
    assert.match(await bob.getByRole("alertdialog", { name: "Alice Owner" }).innerText(), /Group call with Carol Member/);
    assert.match(await carol.getByRole("alertdialog", { name: "Alice Owner" }).innerText(), /Group call with Bob Member/);
    await bob.getByRole("alertdialog", { name: "Alice Owner" }).getByRole("button", { name: "Accept" }).click();
    // While the call runs, Carol's header bar offers Join call (she still has the ring to answer).
    await carol.getByRole("button", { name: "Join call" }).waitFor({ timeout: 30_000 });
    await carol.getByRole("alertdialog", { name: "Alice Owner" }).getByRole("button", { name: "Accept" }).click();
    for (const page of [bob, carol]) await page.getByRole("region", { name: "Call", exact: true }).waitFor();

    // ---- every page decodes both others' video and hears two audio streams ------------------------
    for (const [i, page] of pages.entries()) {
      await seesAndHearsTheOthers(page, NAMES, i);
      await page
        .getByRole("region", { name: "Call", exact: true })
        .getByRole("status")
        .getByText(/^\d+:\d\d · 3 people$/)
        .waitFor();
    }
    await alice.waitForTimeout(500);
    await shot(alice, "call-group-dm");

    // ---- verified marks: Alice verifies Bob from the participants panel ----------------------------
    const call = alice.getByRole("region", { name: "Call", exact: true });
    const mark = (name: string) => call.getByRole("figure", { name }).getByTestId("trust-mark");
    await mark("Bob Member").getByText("Not verified").waitFor();
    await mark("Carol Member").getByText("Not verified").waitFor();
    await call.getByTestId("call-e2ee").click();
    const panel = alice.getByRole("region", { name: "Call participants" });
    const bobRow = panel.getByRole("listitem", { name: "Bob Member" });
    assert.match(await panel.getByRole("listitem", { name: "Alice Owner" }).innerText(), /this device/);
    await bobRow.getByRole("button", { name: "Verify" }).click();
    const dialog = alice.getByRole("dialog", { name: "Verify Bob Member" });
    await dialog.getByTestId("safety-number").waitFor();
    await dialog.getByRole("button", { name: /mark as verified/ }).click();
    await dialog.getByText("You verified Bob Member").waitFor();
    await dialog.getByRole("button", { name: "Close" }).click();
    await mark("Bob Member").getByText("Verified", { exact: true }).waitFor();
    await bobRow.getByTestId("trust-mark").getByText("Verified", { exact: true }).waitFor();
    assert.equal(await mark("Carol Member").innerText(), "Not verified");
    // Tall enough for the tiles and the whole panel in one picture.
    await alice.setViewportSize({ width: 1280, height: 1000 });
    await panel.getByRole("listitem", { name: "Carol Member" }).scrollIntoViewIfNeeded();
    await shot(alice, "call-verified");
    await call.getByTestId("call-e2ee").click();

    // ---- speaker choice ---------------------------------------------------------------------------
    const outputs = await bob.evaluate(async () =>
      (await navigator.mediaDevices.enumerateDevices())
        .filter((d) => d.kind === "audiooutput" && d.deviceId !== "default" && d.deviceId !== "")
        .map((d) => d.deviceId),
    );
    const bobCall = bob.getByRole("region", { name: "Call", exact: true });
    await bobCall.getByRole("button", { name: "Devices" }).click();
    await bobCall.getByRole("combobox", { name: "Microphone" }).waitFor();
    const speaker = bobCall.getByRole("combobox", { name: "Speaker" });
    if (outputs.length) {
      await speaker.selectOption(outputs[0]!);
      // Both remote audio elements of the group call (Alice's and Carol's) now play through it.
      await bob.waitForFunction(
        (id) => (window as unknown as { __sinks: Array<{ el: HTMLMediaElement; id: string }> }).__sinks.filter((s) => s.id === id).length >= 2,
        outputs[0],
      );
    } else {
      await bob.waitForTimeout(500);
      assert.equal(await speaker.count(), 0, "no Speaker choice when Chromium lists no output besides the default");
    }
    console.log(`speaker outputs listed by Chromium: ${outputs.length}`);

    // ---- everyone hangs up ------------------------------------------------------------------------
    for (const page of pages) await page.getByRole("region", { name: "Call", exact: true }).getByRole("button", { name: "Hang up" }).click();
    for (const page of pages) await page.getByRole("region", { name: "Call", exact: true }).waitFor({ state: "detached" });
    assert.deepEqual(errors, []);
  },
);
