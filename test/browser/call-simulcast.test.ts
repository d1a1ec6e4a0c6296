/**
 * Simulcast and per-stream control in a channel's group call (issue 14) with real Chromium and a
 * real Janus: two people of one channel in its call, fake cameras at 640x480. Alice's camera goes
 * out in two simulcast layers, each SFrame-encrypted (outbound-rtp: two encodings sending, every
 * sender transformed). Carol's grid tile of Alice gets the low layer; pinning Alice (large)
 * switches Janus to the high layer — a wider decoded frame — and frames go on decoding after each
 * switch, which shows Janus finds the key frames of encrypted VP8 (the frame tag stays clear).
 * Carol's audio-only mode stops Janus forwarding Alice's video (packetsReceived stops growing)
 * while her audio keeps energy; leaving it brings the video back.
 *
 * A test-only init script (call-pages.ts) keeps each page's RTCPeerConnections on
 * `window.__pcs` for getStats and asks the fake camera for 640x480 at 15 fps.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { createAndJoinChannel, newUserPage, signIn } from "./browser-support.ts";
import { exchangeLines, groupCallSuite, keepConnections, pollUntil } from "./call-pages.ts";

const suite = groupCallSuite();

interface Sent {
  /** Camera encodings (outbound-rtp with a rid) and their frames encoded so far. */
  encodings: Array<{ rid: string; framesEncoded: number; frameWidth: number }>;
  /** Senders with a track but no SFrame transform. */
  clear: number;
}

/** What the page sends: its camera's simulcast encodings. */
function sent(page: Page): Promise<Sent> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState !== "closed");
    const encodings: Sent["encodings"] = [];
    let clear = 0;
    for (const pc of pcs) {
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type === "outbound-rtp" && s.kind === "video" && s.rid)
          encodings.push({ rid: String(s.rid), framesEncoded: Number(s.framesEncoded ?? 0), frameWidth: Number(s.frameWidth ?? 0) });
      });
      for (const t of pc.getTransceivers()) if (t.sender.track && !t.sender.transform) clear++;
    }
    return { encodings, clear };
  });
}

interface Received {
  /** The video the tile of `name` shows: decoded width, frames decoded, packets received. */
  video: { frameWidth: number; framesDecoded: number; packetsReceived: number } | undefined;
  /** Audio energy received (the only other participant's). */
  audioEnergy: number;
  /** Receivers of open connections without an SFrame transform. */
  clear: number;
}

/** What the page receives of `name`'s camera (matched to the tile's track) and its audio. */
function received(page: Page, name: string): Promise<Received> {
  return page.evaluate(async (name) => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState !== "closed");
    const tile = Array.from(document.querySelectorAll<HTMLElement>("[aria-label='Call'] figure.group-tile")).find((f) => f.getAttribute("aria-label") === name);
    const track = ((tile?.querySelector("video")?.srcObject as MediaStream | null)?.getVideoTracks()[0]?.id ?? "") as string;
    let video: Received["video"];
    let audioEnergy = 0;
    let clear = 0;
    for (const pc of pcs) {
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== "inbound-rtp") return;
        if (s.kind === "audio") audioEnergy += Number(s.totalAudioEnergy ?? 0);
        else if (track && s.trackIdentifier === track)
          video = { frameWidth: Number(s.frameWidth ?? 0), framesDecoded: Number(s.framesDecoded ?? 0), packetsReceived: Number(s.packetsReceived ?? 0) };
      });
      for (const t of pc.getTransceivers()) if (t.currentDirection === "recvonly" && !t.receiver.transform) clear++;
    }
    return { video, audioEnergy, clear };
  }, name);
}

test(
  "simulcast through Janus with SFrame: two encrypted layers, the large tile gets the high one, audio-only stops the video at the SFU",
  { timeout: 300_000 },
  async () => {
    const { server, browser, errors } = suite;
    for (let i = 0; i < 200 && !server.deps.sfu!.health().up; i++) await new Promise((r) => setTimeout(r, 25));
    const owner = await bootstrapOrg(server, { orgSlug: "simul", orgName: "Acme Simulcast", username: "alice", displayName: "Alice Owner" });
    await makeUser(server, owner, { username: "carol", displayName: "Carol Member" });
    const pages: Page[] = [];
    for (const username of ["alice", "carol"]) {
      const page = await newUserPage(browser, errors);
      page.setDefaultTimeout(45_000);
      await page.context().addInitScript(keepConnections, { width: 640, height: 480, frameRate: 15 });
      await signIn(page, server.url, "simul", username, { deviceName: `${username} laptop`, until: "signed-in", live: true });
      pages.push(page);
    }
    const [alice, carol] = pages as [Page, Page];
    await createAndJoinChannel(alice, carol, "design");
    // Each reading the other's message: both devices hold the same epoch's keys.
    await exchangeLines(pages, "design");

    await alice.getByRole("button", { name: "Start call" }).click();
    await alice.getByRole("region", { name: "Call", exact: true }).waitFor();
    await carol.getByRole("button", { name: "Join call" }).click({ timeout: 60_000 });
    const carolCall = carol.getByRole("region", { name: "Call", exact: true });
    await carolCall.waitFor();

    // ---- Alice's camera: two simulcast layers, both sending, every sender SFrame-transformed -----
    const first = await pollUntil(
      "Alice sends two camera layers",
      () => sent(alice),
      (s) => s.encodings.filter((e) => e.framesEncoded > 10).length >= 2,
    );
    await alice.waitForTimeout(2000);
    const later = await sent(alice);
    const growing = later.encodings.filter((e) => e.framesEncoded > (first.encodings.find((f) => f.rid === e.rid)?.framesEncoded ?? 0));
    assert.ok(growing.length >= 2, `two encodings keep encoding: ${JSON.stringify({ first, later })}`);
    assert.equal(later.clear, 0, "every sender of Alice's has an SFrame transform");
    const widths = growing.map((e) => e.frameWidth).sort((a, b) => a - b);
    assert.ok(widths[0]! < widths[widths.length - 1]!, `the layers differ in size: ${JSON.stringify(later.encodings)}`);

    // ---- Carol's grid tile of Alice: the low layer; pinned (large): the high one; decoding on ----
    const alicesVideo = () => received(carol, "Alice Owner");
    const grid = await pollUntil(
      "Carol decodes Alice's low layer in the grid",
      alicesVideo,
      (s) => (s.video?.framesDecoded ?? 0) > 10 && (s.video?.frameWidth ?? 0) > 0 && (s.video?.frameWidth ?? 0) <= 320,
    );
    assert.equal(grid.clear, 0, "every receiver of Carol's has an SFrame transform");
    await carol.getByRole("button", { name: "Pin Alice Owner" }).click();
    await carolCall.locator("figure.group-tile.large", { hasText: "Alice Owner" }).waitFor();
    const large = await pollUntil("Carol decodes Alice's high layer once Alice is large", alicesVideo, (s) => (s.video?.frameWidth ?? 0) >= 640);
    await pollUntil("Carol goes on decoding the high layer", alicesVideo, (s) => (s.video?.framesDecoded ?? 0) > large.video!.framesDecoded + 15);
    await carol.getByRole("button", { name: "Unpin Alice Owner" }).click();
    const back = await pollUntil(
      "the grid tile drops back to the low layer",
      alicesVideo,
      (s) => (s.video?.frameWidth ?? 0) > 0 && (s.video?.frameWidth ?? 0) <= 320,
    );
    await pollUntil("Carol goes on decoding the low layer", alicesVideo, (s) => (s.video?.framesDecoded ?? 0) > back.video!.framesDecoded + 15);

    // ---- audio-only: Janus stops forwarding Alice's video to Carol; her audio goes on ------------
    await carol.getByRole("button", { name: "Audio only" }).click();
    await carolCall.locator("figure.group-tile video").first().waitFor({ state: "detached" });
    // (The tile's video is gone: read the camera's inbound stream directly from here on.)
    const cameraIn = () =>
      carol.evaluate(async () => {
        let packets = 0;
        let energy = 0;
        for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((p) => p.connectionState !== "closed"))
          (await pc.getStats()).forEach((s: Record<string, unknown>) => {
            if (s.type !== "inbound-rtp") return;
            if (s.kind === "video") packets += Number(s.packetsReceived ?? 0);
            else energy += Number(s.totalAudioEnergy ?? 0);
          });
        return { packets, energy };
      });
    await carol.waitForTimeout(1000);
    const off0 = await cameraIn();
    await carol.waitForTimeout(3000);
    const off1 = await cameraIn();
    assert.equal(off1.packets, off0.packets, "no video packet reaches Carol in audio-only mode");
    assert.ok(off1.energy > off0.energy, `Alice's audio keeps energy: ${JSON.stringify({ off0, off1 })}`);

    await carol.getByRole("button", { name: "Audio only" }).click();
    await pollUntil("Alice's video comes back", cameraIn, (s) => s.packets > off1.packets + 50);
    const again = await pollUntil("Carol shows Alice's video again", alicesVideo, (s) => (s.video?.framesDecoded ?? 0) > 0);
    await pollUntil("and decodes it", alicesVideo, (s) => (s.video?.framesDecoded ?? 0) > again.video!.framesDecoded + 15);

    assert.deepEqual(
      errors.filter((e) => !/status of 40[0-9]/.test(e)),
      [],
    );
  },
);
