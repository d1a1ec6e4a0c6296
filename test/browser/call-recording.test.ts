/**
 * Recording a call in the web app (issue 14, "Recording") against a real Parley server: while the
 * org does not allow recording, Alice's call has no Record button and her device's `call.record`
 * is refused (`call_recording_not_allowed`, nothing stored); Alice (an owner) allows it in the admin
 * console; in the next call she records a few seconds — Bob's call screen shows "Recording —
 * Alice Owner" while it runs and not after — and on stop her device posts the recording in the DM
 * as an encrypted attachment: both see it; Bob's page downloads and decrypts it into a WebM whose
 * duration is above zero, and the blob the server stored is ciphertext (no EBML magic at its start).
 * Screenshot (test-results/screenshots/; copy in docs/screenshots/): call-recording (Bob's view
 * while Alice records).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import type { Browser, Page } from "playwright-core";
import { ParleyClient, isParleyError } from "@parley/sdk";
import { bootstrapOrg, makeUser, TEST_PASSWORD } from "@parley/server/testing/factories";
import { startTestCoturn, type TestCoturn } from "@parley/server/testing/coturn";
import type { TestServer } from "@parley/server/testing/harness";
import { launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";
import { playedVideo } from "./call-pages.ts";

let coturn: TestCoturn;
let server: TestServer;
let browser: Browser;
const errors: string[] = [];
const EBML_MAGIC = "1a45dfa3";

before(async () => {
  // Media through coturn, as a deployment has it (the ICE servers of GET /calls/ice-servers).
  coturn = await startTestCoturn();
  server = await startWebServer({ turnServer: `127.0.0.1:${coturn.port}`, turnSecret: coturn.secret });
  browser = await launchChromium(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await coturn?.stop();
});

const callRegion = (page: Page) => page.getByRole("region", { name: "Call", exact: true });

/** Alice calls Bob from their DM; Bob accepts; both see the call's timer (media connected). */
async function callAndAccept(alice: Page, bob: Page): Promise<void> {
  await alice.getByRole("button", { name: "Start call" }).click();
  const incoming = bob.getByRole("alertdialog", { name: "Alice Owner" });
  await incoming.getByRole("button", { name: "Accept" }).click({ timeout: 30_000 });
  for (const page of [alice, bob])
    await callRegion(page)
      .getByRole("status")
      .getByText(/^\d+:\d\d$/)
      .waitFor({ timeout: 30_000 });
}

async function hangUp(alice: Page, bob: Page): Promise<void> {
  await callRegion(alice).getByRole("button", { name: "Hang up" }).click();
  for (const page of [alice, bob]) await callRegion(page).waitFor({ state: "detached" });
}

test(
  "call recording: refused unless the org allows it; recorded on Alice's device, indicator for Bob, posted encrypted in the DM",
  { timeout: 240_000 },
  async () => {
    const owner = await bootstrapOrg(server, { orgSlug: "rec", orgName: "Acme Rec", username: "alice", displayName: "Alice Owner" });
    await makeUser(server, owner, { username: "bob", displayName: "Bob Member" });
    const alice = await newUserPage(browser, errors);
    const bob = await newUserPage(browser, errors);
    // Two pages' call media and a recording on a small shared machine: a click may wait for a busy renderer.
    for (const page of [alice, bob]) page.setDefaultTimeout(45_000);
    await signIn(alice, server.url, "rec", "alice", { deviceName: "Alice laptop", until: "signed-in", live: true });
    await signIn(bob, server.url, "rec", "bob", { deviceName: "Bob laptop", until: "signed-in", live: true });

    // ---- a DM both devices hold the keys of (as in call-1to1.test.ts) ------------------------------
    await alice.getByRole("button", { name: "New direct message" }).click();
    await alice.getByRole("checkbox", { name: "Bob Member (@bob)" }).check();
    await alice.getByRole("button", { name: "Start conversation" }).click();
    await alice.getByRole("heading", { name: "Bob Member" }).waitFor();
    const box = alice.getByRole("textbox", { name: "Message Bob Member" });
    await box.fill("Shall we record the call?");
    await box.press("Enter");
    await bob.getByRole("link", { name: /^Direct message with Alice Owner/ }).click({ timeout: 30_000 });
    const bobBox = bob.getByRole("textbox", { name: "Message Alice Owner" });
    await bobBox.fill("If the org allows it");
    await bobBox.press("Enter");
    await alice.locator("main article.msg", { hasText: "If the org allows it" }).waitFor({ timeout: 30_000 });

    // ---- recording not allowed (the default): no Record button, and the frame is refused ----------
    await callAndAccept(alice, bob);
    await callRegion(alice).getByRole("button", { name: "Hang up" }).waitFor();
    await alice.waitForTimeout(500); // the policy answer has arrived
    assert.equal(await callRegion(alice).getByRole("button", { name: "Record", exact: true }).count(), 0, "no Record button while the org does not allow it");
    assert.equal(await callRegion(bob).getByRole("button", { name: "Record", exact: true }).count(), 0);
    // Another device of Alice's joins the call and asks to record: refused, nothing stored.
    const second = await ParleyClient.login({ baseUrl: server.url, org: "rec", username: "alice", password: TEST_PASSWORD });
    try {
      second.connect();
      await second.waitUntilLive();
      const [active] = await second.calls.list();
      assert.ok(active, "the DM's call is listed");
      await second.calls.join(active.id);
      await assert.rejects(second.calls.record(active.id, true), (err: unknown) => isParleyError(err, "call_recording_not_allowed"));
      const rows = await server.deps.db
        .selectFrom("call_participants")
        .select("id")
        .where("call_id", "=", active.id)
        .where("recording_since", "is not", null)
        .execute();
      assert.deepEqual(rows, []);
      await second.calls.leave(active.id);
    } finally {
      await second.close();
    }
    await hangUp(alice, bob);

    // ---- Alice, an owner, allows recording in the admin console -----------------------------------
    await alice.getByRole("link", { name: "Admin" }).click();
    await alice.getByRole("tab", { name: /settings/i }).click();
    const form = alice.getByRole("form", { name: "Call recording" });
    await form.getByRole("checkbox", { name: "Allow participants to record calls" }).check();
    await form.getByRole("button", { name: "Save call recording" }).click();
    await form.getByText("Saved.").waitFor();
    await alice.getByRole("link", { name: /^Direct message with Bob Member/ }).click();
    await alice.getByRole("heading", { name: "Bob Member" }).waitFor();

    // ---- Alice records a few seconds; Bob sees who records -----------------------------------------
    await callAndAccept(alice, bob);
    await callRegion(alice).getByRole("button", { name: "Record", exact: true }).click();
    await callRegion(alice).getByRole("button", { name: "Stop recording" }).waitFor();
    for (const page of [alice, bob]) {
      const indicator = callRegion(page).getByTestId("call-recording");
      await indicator.waitFor();
      assert.match(await indicator.innerText(), /Recording — Alice Owner/);
    }
    await bob.waitForTimeout(3000);
    await shot(bob, "call-recording");
    await callRegion(alice).getByRole("button", { name: "Stop recording" }).click();
    for (const page of [alice, bob]) await callRegion(page).getByTestId("call-recording").waitFor({ state: "detached" });

    // ---- the recording arrives in the DM for both, as an encrypted attachment ---------------------
    const attachment = (page: Page) => page.locator("main figure.attachment", { hasText: /Call recording .*\.webm/ });
    for (const page of [alice, bob]) await attachment(page).waitFor({ timeout: 60_000 });
    const name = (await attachment(bob).locator(".attachment-name").innerText()).trim();
    const [download] = await Promise.all([
      bob.waitForEvent("download"),
      attachment(bob)
        .getByRole("button", { name: `Download ${name}` })
        .click(),
    ]);
    const bytes = fs.readFileSync((await download.path())!);
    assert.equal(bytes.subarray(0, 4).toString("hex"), EBML_MAGIC, "Bob's page decrypts a WebM file");
    const { duration } = await playedVideo(bob, bytes);
    assert.ok(duration > 0.5, `the recording lasts: ${duration} s`);
    // The server stored ciphertext: its blob is not the WebM.
    const fileId = await attachment(bob).getAttribute("data-file-id");
    assert.ok(fileId);
    const stored: Buffer[] = [];
    for await (const chunk of await server.deps.blobs.read(fileId)) stored.push(Buffer.from(chunk as Uint8Array));
    const blob = Buffer.concat(stored);
    assert.ok(blob.length >= bytes.length, "the stored blob holds the whole recording");
    assert.notEqual(blob.subarray(0, 4).toString("hex"), EBML_MAGIC, "the stored blob is not the plaintext WebM");
    assert.equal(blob.includes(bytes.subarray(0, 64)), false, "no plaintext run of the file in the stored blob");

    // ---- an admin turning recording off stops a running recording; what was recorded is posted ------
    await callRegion(alice).getByRole("button", { name: "Record", exact: true }).click();
    await callRegion(alice).getByRole("button", { name: "Stop recording" }).waitFor();
    await callRegion(bob).getByTestId("call-recording").waitFor();
    await bob.waitForTimeout(1500);
    assert.equal((await owner.api("PUT", "/org/call-policy", { recordingAllowed: false })).status, 200);
    for (const page of [alice, bob]) await callRegion(page).getByTestId("call-recording").waitFor({ state: "detached" });
    await callRegion(alice)
      .getByRole("alert")
      .getByText(/your organization no longer allows recording calls/)
      .waitFor();
    for (const page of [alice, bob]) await attachment(page).nth(1).waitFor({ timeout: 60_000 });
    await callRegion(alice).getByRole("button", { name: "Record", exact: true }).waitFor({ state: "detached" });

    const audit = await server.deps.db.selectFrom("audit_log").select(["action", "details"]).where("action", "like", "%recording%").orderBy("seq").execute();
    assert.deepEqual(
      audit.map((r) => r.action),
      ["call.recording.started", "call.recording.stopped", "call.recording.started", "call.recording.stopped"],
    );
    assert.equal((JSON.parse(audit[3]!.details) as { reason: string }).reason, "policy");
    await hangUp(alice, bob);
    assert.deepEqual(
      errors.filter((e) => !/status of 40[0-9]/.test(e)),
      [],
    );
  },
);
