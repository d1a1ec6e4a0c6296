/**
 * A channel's group call in the web app (issue 14, group part) against a real Parley server and a
 * real Janus started by the project's script: four people of one channel join its call from the
 * channel header; each page publishes its fake camera and microphone through the SFU and
 * subscribes to the three others, SFrame on every sender and receiver. On every page each other
 * participant's tile plays their video (getStats framesDecoded of the very track the tile shows)
 * and three audio streams carry energy; a raised hand shows on the others' tiles; pinning shows
 * the pinned person large; audio-only hides the videos; one page shares its screen and the three
 * others decode it, large; leaving drops the tile for the others.
 *
 * A test-only init script (call-pages.ts) keeps each page's RTCPeerConnections on
 * `window.__pcs` for getStats and asks the fake camera for 320x240. Screenshots (test-results/screenshots/; copies in
 * docs/screenshots/): call-group-grid, call-group-screen-share.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import type { Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { newUserPage, shot, signIn } from "./browser-support.ts";
import { everyoneInChannel, groupCallSuite, keepConnections, playedVideo, seesAndHearsTheOthers, sfuUp, SMALL_CAMERA, until } from "./call-pages.ts";

const suite = groupCallSuite();

const NAMES = ["Alice Owner", "Bob Member", "Carol Member", "Dan Member"];

test(
  "a four-person channel call through Janus in the web app: every page sees and hears the three others, screen share, hand, pin, audio-only, leave",
  { timeout: 600_000 },
  async () => {
    const { server, browser, errors } = suite;
    await sfuUp(server);
    const owner = await bootstrapOrg(server, { orgSlug: "group", orgName: "Acme Group", username: "alice", displayName: NAMES[0] });
    assert.equal((await owner.api("PUT", "/org/call-policy", { recordingAllowed: true })).status, 200);
    for (const [i, name] of ["bob", "carol", "dan"].entries()) await makeUser(server, owner, { username: name, displayName: NAMES[i + 1] });
    const pages: Page[] = [];
    for (const username of ["alice", "bob", "carol", "dan"]) {
      const page = await newUserPage(browser, errors);
      page.setDefaultTimeout(45_000); // four pages' media on a small shared machine
      await page.context().addInitScript(keepConnections, SMALL_CAMERA);
      await signIn(page, server.url, "group", username, { deviceName: `${username} laptop`, until: "signed-in", live: true });
      pages.push(page);
    }
    const [alice, bob, carol, dan] = pages as [Page, Page, Page, Page];

    // ---- all four in the channel and its MLS group, at the same epoch ------------------------
    await everyoneInChannel(pages, "standup");

    // ---- Alice starts the channel's call from its header; the others join from the bar -------
    await alice.getByRole("button", { name: "Start call" }).click();
    await alice.getByRole("region", { name: "Call", exact: true }).waitFor();
    for (const page of [bob, carol, dan]) {
      await page.getByRole("button", { name: "Join call" }).click({ timeout: 60_000 });
      await page.getByRole("region", { name: "Call", exact: true }).waitFor();
    }

    // ---- every page decodes each other tile's video and hears three audio streams -------------
    for (const [i, page] of pages.entries()) {
      const s = await seesAndHearsTheOthers(page, NAMES, i);
      assert.deepEqual(s.undecryptable, [], `${NAMES[i]}: no tile says its media does not decrypt`);
      const call = page.getByRole("region", { name: "Call", exact: true });
      assert.match(await call.getByTestId("call-e2ee").innerText(), /End-to-end encrypted · /);
      await call.locator('[data-testid="call-quality"]:not([data-quality="unknown"])').waitFor({ timeout: 15_000 });
      assert.equal(await call.getByTestId("call-keys-stale").count(), 0);
      await call
        .getByRole("status")
        .getByText(/^\d+:\d\d · 4 people$/)
        .waitFor();
    }
    await alice.waitForTimeout(1000);
    await shot(alice, "call-group-grid");

    // Every page's connection is live (a busy machine may have delayed a heartbeat: it reconnects).
    for (const page of pages) await page.locator('.sidebar .conn[data-state="live"]').waitFor({ timeout: 60_000 });

    // ---- a raised hand and a muted microphone show on the others' tiles ---------------------
    await bob.getByRole("button", { name: "Raise hand" }).click();
    await bob.getByRole("button", { name: "Lower hand" }).waitFor();
    await bob.getByRole("button", { name: "Mute" }).click();
    const bobOnCarol = carol.getByRole("figure", { name: "Bob Member" });
    await bobOnCarol.getByRole("img", { name: "Hand raised" }).waitFor();
    await bobOnCarol.getByText("Muted").waitFor();
    await bob.getByRole("button", { name: "Lower hand" }).click();
    await bobOnCarol.getByRole("img", { name: "Hand raised" }).waitFor({ state: "detached" });

    // ---- pin: Carol shows Dan large; speaker view; audio-only hides the videos --------------
    const carolCall = carol.getByRole("region", { name: "Call", exact: true });
    await carol.getByRole("button", { name: "Pin Dan Member" }).click();
    assert.equal(await carolCall.getAttribute("data-layout"), "speaker");
    await carolCall.locator("figure.group-tile.large", { hasText: "Dan Member" }).waitFor();
    await carol.getByRole("button", { name: "Unpin Dan Member" }).click();
    await carol.getByRole("button", { name: "Speaker view" }).click();
    await carolCall.locator("figure.group-tile.large").waitFor();
    await carol.getByRole("button", { name: "Grid view" }).click();
    await carol.getByRole("button", { name: "Audio only" }).click();
    await carolCall.locator("figure.group-tile video").first().waitFor({ state: "detached" });
    assert.equal(await carol.getByRole("button", { name: "Audio only" }).getAttribute("aria-pressed"), "true");
    await carol.getByRole("button", { name: "Audio only" }).click();
    await carolCall.locator("figure.group-tile video").nth(3).waitFor();

    // ---- Alice shares her screen: the three others decode it, shown large --------------------
    await alice.getByRole("button", { name: "Share screen" }).click();
    await alice.getByRole("button", { name: "Stop sharing" }).waitFor();
    for (const page of [bob, carol, dan]) {
      await page.getByRole("region", { name: "Call", exact: true }).getByLabel("Alice Owner screen").waitFor({ timeout: 60_000 });
      await until(page, "decodes Alice's screen", (s) => s.screen > 3);
    }
    await bob.waitForTimeout(1000);
    await shot(bob, "call-group-screen-share");
    await alice.getByRole("button", { name: "Stop sharing" }).click();
    await bob.getByLabel("Alice Owner screen").waitFor({ state: "detached" });

    // ---- Dan leaves: his tile goes for the others; the call goes on ------------------------
    await dan.getByRole("region", { name: "Call", exact: true }).getByRole("button", { name: "Hang up" }).click();
    await dan.getByRole("region", { name: "Call", exact: true }).waitFor({ state: "detached" });
    for (const page of [alice, bob, carol]) await page.getByRole("figure", { name: "Dan Member" }).waitFor({ state: "detached" });
    await dan.getByRole("button", { name: "Join call" }).waitFor();

    // ---- Alice records the group call: a composite of everyone, posted encrypted in the channel ----
    const aliceCall = alice.getByRole("region", { name: "Call", exact: true });
    await aliceCall.getByRole("button", { name: "Record", exact: true }).click();
    await aliceCall.getByRole("button", { name: "Stop recording" }).waitFor();
    for (const page of [bob, carol]) assert.match(await page.getByTestId("call-recording").innerText(), /Recording — Alice Owner/);
    // Long enough for the composite's pictures to start on a busy machine (its first frames are dark until they decode).
    await alice.waitForTimeout(8000);
    await aliceCall.getByRole("button", { name: "Stop recording" }).click();
    const attachment = bob.locator("main figure.attachment", { hasText: /Call recording .*\.webm/ });
    await attachment.waitFor({ timeout: 60_000 });
    const fileName = (await attachment.locator(".attachment-name").innerText()).trim();
    const [download] = await Promise.all([bob.waitForEvent("download"), attachment.getByRole("button", { name: `Download ${fileName}` }).click()]);
    const video = await playedVideo(bob, fs.readFileSync((await download.path())!));
    assert.deepEqual([video.width, video.height], [1280, 720], "the composite picture");
    assert.ok(video.duration > 1, `the recording lasts: ${video.duration} s`);
    // Three cameras in a 2x2 grid of a dark picture: well over a tenth of it is lit by their images.
    assert.ok(
      video.lit > 0.25,
      `the composite shows the cameras: ${video.litAt.map((l) => `${(l * 100).toFixed(1)} %`).join(", ")} lit at ¼, ½, ¾, the end of ${video.duration} s`,
    );

    assert.deepEqual(
      errors.filter((e) => !/status of 40[0-9]/.test(e)),
      [],
    );
  },
);
