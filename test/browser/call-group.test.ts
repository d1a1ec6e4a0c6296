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
 * An init script of this test (not of the app) keeps each page's RTCPeerConnections on
 * `window.__pcs` for getStats and asks the fake camera for 320x240. Screenshots (test-results/screenshots/; copies in
 * docs/screenshots/): call-group-grid, call-group-screen-share.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { startTestJanus, type TestJanus } from "@parley/server/testing/janus";
import type { TestServer } from "@parley/server/testing/harness";
import { createChannel, launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";

let janus: TestJanus;
let server: TestServer;
let browser: Browser;
const errors: string[] = [];

before(async () => {
  janus = await startTestJanus();
  server = await startWebServer({ janusUrl: janus.url, janusApiSecret: janus.apiSecret, janusAdminKey: janus.adminKey });
  browser = await launchChromium([
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--auto-select-desktop-capture-source=Entire screen",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
  ]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await janus?.stop();
});

/**
 * Test-only: keep every RTCPeerConnection of the page for getStats, and ask the fake camera for
 * 320x240 at 15 fps (four pages encoding and decoding on a 2-core test machine).
 */
function keepConnections(): void {
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (c?: MediaStreamConstraints) => gum(c?.video ? { ...c, video: { width: 320, height: 240, frameRate: 15 } } : c);
  const Native = window.RTCPeerConnection;
  const w = window as unknown as { __pcs: RTCPeerConnection[] };
  w.__pcs = [];
  class Kept extends Native {
    constructor(config: RTCConfiguration = {}) {
      super(config);
      w.__pcs.push(this);
    }
  }
  window.RTCPeerConnection = Kept;
}

interface Seen {
  /** Frames decoded of the camera each tile shows, by the tile's name. */
  tiles: Record<string, number>;
  /** Frames decoded of the large shared screen, if one shows. */
  screen: number;
  /** Audio energy of each received audio stream. */
  audio: number[];
  /** Senders and receivers of open connections without an SFrame transform. */
  clear: number;
}

/** What the page decodes, matched to what its call screen shows (by the tracks' ids). */
function seen(page: Page): Promise<Seen> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState !== "closed");
    const frames = new Map<string, number>();
    const audio: number[] = [];
    let clear = 0;
    for (const pc of pcs) {
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== "inbound-rtp") return;
        if (s.kind === "video") frames.set(String(s.trackIdentifier), Number(s.framesDecoded ?? 0));
        else audio.push(Number(s.totalAudioEnergy ?? 0));
      });
      for (const t of pc.getTransceivers())
        if ((t.sender.track && !t.sender.transform) || (t.currentDirection !== "sendonly" && !t.receiver.transform)) clear++;
    }
    const trackOf = (v: HTMLVideoElement | null) => ((v?.srcObject as MediaStream | null)?.getVideoTracks()[0]?.id ?? "") as string;
    const tiles: Record<string, number> = {};
    for (const fig of Array.from(document.querySelectorAll<HTMLElement>("[aria-label='Call'] figure.group-tile")))
      tiles[fig.getAttribute("aria-label") ?? ""] = frames.get(trackOf(fig.querySelector("video"))) ?? 0;
    const screen = frames.get(trackOf(document.querySelector<HTMLVideoElement>("[aria-label='Call'] video.group-screen-share"))) ?? 0;
    return { tiles, screen, audio, clear };
  });
}

/** Poll until `ok` holds on the page (90 s). */
async function until(page: Page, what: string, ok: (s: Seen) => boolean): Promise<Seen> {
  let s = await seen(page);
  for (let i = 0; i < 450 && !ok(s); i++) {
    await new Promise((r) => setTimeout(r, 200));
    s = await seen(page);
  }
  assert.ok(ok(s), `${what}: ${JSON.stringify(s)}`);
  return s;
}

const NAMES = ["Alice Owner", "Bob Member", "Carol Member", "Dan Member"];

test(
  "a four-person channel call through Janus in the web app: every page sees and hears the three others, screen share, hand, pin, audio-only, leave",
  { timeout: 600_000 },
  async () => {
    for (let i = 0; i < 200 && !server.deps.sfu!.health().up; i++) await new Promise((r) => setTimeout(r, 25));
    const owner = await bootstrapOrg(server, { orgSlug: "group", orgName: "Acme Group", username: "alice", displayName: NAMES[0] });
    for (const [i, name] of ["bob", "carol", "dan"].entries()) await makeUser(server, owner, { username: name, displayName: NAMES[i + 1] });
    const pages: Page[] = [];
    for (const [i, username] of ["alice", "bob", "carol", "dan"].entries()) {
      const page = await newUserPage(browser, errors);
      page.setDefaultTimeout(45_000); // four pages' media on a small shared machine
      await page.context().addInitScript(keepConnections);
      await signIn(page, server.url, "group", username, { deviceName: `${username} laptop`, until: "signed-in", live: true });
      pages.push(page);
      if (i === 0) await createChannel(page, "standup");
    }
    const [alice, bob, carol, dan] = pages as [Page, Page, Page, Page];

    // ---- all four in the channel and its MLS group, at the same epoch ------------------------
    for (const page of [bob, carol, dan]) {
      await page.getByRole("button", { name: "Browse channels" }).click();
      await page.getByRole("button", { name: "Join standup" }).click();
      await page.getByRole("dialog", { name: "Browse channels" }).waitFor({ state: "detached", timeout: 30_000 });
      await page.getByRole("heading", { name: "# standup" }).waitFor();
    }
    // Everyone reading everyone's message proves all four devices hold the same epoch's keys.
    for (const [i, page] of pages.entries()) {
      const box = page.getByRole("textbox", { name: "Message #standup" });
      await box.fill(`ready ${i}`);
      await box.press("Enter");
    }
    for (const page of pages) for (let i = 0; i < 4; i++) await page.locator("main article.msg", { hasText: `ready ${i}` }).waitFor({ timeout: 30_000 });

    // ---- Alice starts the channel's call from its header; the others join from the bar -------
    await alice.getByRole("button", { name: "Start call" }).click();
    await alice.getByRole("region", { name: "Call", exact: true }).waitFor();
    for (const page of [bob, carol, dan]) {
      await page.getByRole("button", { name: "Join call" }).click({ timeout: 60_000 });
      await page.getByRole("region", { name: "Call", exact: true }).waitFor();
    }

    // ---- every page decodes each other tile's video and hears three audio streams -------------
    for (const [i, page] of pages.entries()) {
      const others = NAMES.filter((_, j) => j !== i);
      const s = await until(
        page,
        `${NAMES[i]} sees and hears the others`,
        (s) => others.every((n) => (s.tiles[n] ?? 0) > 5) && s.audio.filter((e) => e > 0).length >= 3,
      );
      assert.equal(s.clear, 0, `${NAMES[i]}: every sender and receiver is SFrame-transformed`);
      assert.equal(Object.keys(s.tiles).length, 4, `${NAMES[i]}: four tiles, ${JSON.stringify(s.tiles)}`);
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

    assert.deepEqual(
      errors.filter((e) => !/status of 40[0-9]/.test(e)),
      [],
    );
  },
);
