/**
 * A 1:1 call in the web app (issue 14, done-means 1 and 5) against a real Parley server and a real
 * coturn started by the project's script: Alice calls Bob from their DM, Bob's incoming-call
 * dialog rings, he accepts; both sides decode the other's video and hear their audio (getStats:
 * framesDecoded, totalAudioEnergy), every sender and receiver runs the SFrame transform, and the
 * selected ICE candidates are relay ones, so the media provably went through coturn; Alice shares
 * her screen and Bob decodes it; Bob reading another channel sees the call in picture-in-picture;
 * Alice hangs up and the call ends on both sides.
 *
 * Relay only: an init script (call-pages.ts's, not the app's) wraps the page's RTCPeerConnection to
 * force `iceTransportPolicy: "relay"` and keeps each connection on `window.__pcs` for getStats.
 * Chromium's fake camera, microphone and screen: --use-fake-device-for-media-stream,
 * --use-fake-ui-for-media-stream and --auto-select-desktop-capture-source.
 * Screenshots (test-results/screenshots/; copies in docs/screenshots/): call-incoming, call-1to1,
 * call-screen-share.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { shot } from "./browser-support.ts";
import { aliceAndBobInDm } from "./call-dm.ts";
import { dmCallSuite, pollUntil } from "./call-pages.ts";

const suite = dmCallSuite();

interface PageStats {
  state: string;
  framesDecoded: number;
  screenFramesDecoded: number;
  totalAudioEnergy: number;
  local?: string;
  remote?: string;
  transforms: boolean;
}

/** The page's latest peer connection: decoded frames (camera, screen), audio energy, the selected candidate pair's types, SFrame transforms. */
function stats(page: Page): Promise<PageStats> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const pc = pcs[pcs.length - 1];
    if (!pc) return { state: "none", framesDecoded: 0, screenFramesDecoded: 0, totalAudioEnergy: 0, transforms: false };
    if (pc.connectionState === "closed") return { state: "closed", framesDecoded: 0, screenFramesDecoded: 0, totalAudioEnergy: 0, transforms: false };
    const report = await pc.getStats();
    const screen = pc.getTransceivers()[2];
    const out: PageStats = { state: pc.connectionState, framesDecoded: 0, screenFramesDecoded: 0, totalAudioEnergy: 0, transforms: false };
    const byId = new Map<string, Record<string, unknown>>();
    report.forEach((s: Record<string, unknown>) => {
      byId.set(s.id as string, s);
      if (s.type === "inbound-rtp" && s.kind === "video") {
        if (screen && s.mid === screen.mid) out.screenFramesDecoded += Number(s.framesDecoded ?? 0);
        else out.framesDecoded += Number(s.framesDecoded ?? 0);
      }
      if (s.type === "inbound-rtp" && s.kind === "audio") out.totalAudioEnergy += Number(s.totalAudioEnergy ?? 0);
    });
    let pair: Record<string, unknown> | undefined;
    for (const s of byId.values()) if (s.type === "transport" && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId as string);
    if (pair) {
      out.local = byId.get(pair.localCandidateId as string)?.candidateType as string | undefined;
      out.remote = byId.get(pair.remoteCandidateId as string)?.candidateType as string | undefined;
    }
    const tr = pc.getTransceivers();
    out.transforms = tr.length === 3 && tr.every((t) => !!t.sender.transform && !!t.receiver.transform);
    return out;
  });
}

/** Poll `page`'s stats until `ok` holds (45 s). */
function until(page: Page, what: string, ok: (s: PageStats) => boolean): Promise<PageStats> {
  return pollUntil(what, () => stats(page), ok, 45_000);
}

test(
  "1:1 call through coturn: ring, accept, encrypted video and audio both ways, screen share, picture-in-picture, hang up",
  { timeout: 240_000 },
  async () => {
    const { server, browser, errors } = suite;
    // ---- a DM both devices hold the keys of ----------------------------------------------
    const { alice, bob } = await aliceAndBobInDm(server, browser, errors, "calls", { alice: "Got a minute for a call?", bob: "Sure, call me" });
    await bob.getByRole("button", { name: "Create channel" }).click();
    await bob.getByLabel("Name").fill("elsewhere");
    await bob.getByRole("button", { name: "Create", exact: true }).click();
    await bob.getByRole("heading", { name: "# elsewhere" }).waitFor();
    await bob.getByRole("link", { name: /^Direct message with Alice Owner/ }).click();

    // ---- Alice calls; Bob's dialog rings; he accepts ---------------------------------------
    await alice.getByRole("button", { name: "Start call" }).click();
    await alice.getByRole("region", { name: "Call", exact: true }).getByText("Calling Bob Member…").waitFor();
    const incoming = bob.getByRole("alertdialog", { name: "Alice Owner" });
    await incoming.waitFor();
    assert.match(await incoming.innerText(), /Incoming call · end-to-end encrypted/);
    await shot(bob, "call-incoming");
    await incoming.getByRole("button", { name: "Accept" }).click();
    await incoming.waitFor({ state: "detached" });

    // ---- media both ways, decoded, through the relay, every frame through SFrame ----------
    const flowing = (s: PageStats) => s.state === "connected" && s.framesDecoded > 5 && s.totalAudioEnergy > 0;
    for (const [name, page] of [
      ["Alice", alice],
      ["Bob", bob],
    ] as const) {
      const s = await until(page, `${name} decodes the other's video and audio`, flowing);
      assert.equal(s.local, "relay", `${name}'s media goes through coturn: ${JSON.stringify(s)}`);
      assert.equal(s.remote, "relay", JSON.stringify(s));
      assert.ok(s.transforms, `${name}: every sender and receiver is SFrame-transformed`);
    }
    for (const page of [alice, bob]) {
      const call = page.getByRole("region", { name: "Call", exact: true });
      await call.getByTestId("call-e2ee").getByText("End-to-end encrypted · ", { exact: false }).waitFor();
      assert.match(await call.getByTestId("call-e2ee").innerText(), /Alice Owner/);
      assert.match(await call.getByTestId("call-e2ee").innerText(), /Bob Member/);
      // The peer's verified mark on their video (nobody compared safety numbers here).
      assert.equal(await call.getByTestId("trust-mark").innerText(), "Not verified");
      // The network quality line (getStats, every 2 s): a judged quality, through the relay, and no key trouble.
      await call.locator('[data-testid="call-quality"]:not([data-quality="unknown"])').waitFor({ timeout: 15_000 });
      assert.match((await call.getByTestId("call-quality").getAttribute("title")) ?? "", /through the relay server/);
      assert.equal(await call.getByTestId("call-keys-stale").count(), 0);
      await call
        .getByRole("status")
        .getByText(/^\d+:\d\d$/)
        .waitFor();
    }
    await alice.waitForTimeout(1000); // a few more frames on screen
    await shot(alice, "call-1to1");

    // ---- controls: mute shows on the other side's state; Alice shares her screen ----------
    await alice.getByRole("button", { name: "Mute" }).click();
    await alice.getByRole("button", { name: "Unmute" }).waitFor();
    await alice.getByRole("button", { name: "Unmute" }).click();
    await alice.getByRole("button", { name: "Share screen" }).click();
    await alice.getByRole("button", { name: "Stop sharing" }).waitFor();
    await bob.getByRole("region", { name: "Call", exact: true }).getByLabel("Alice Owner screen").waitFor();
    await until(bob, "Bob decodes Alice's screen", (s) => s.screenFramesDecoded > 3 && s.framesDecoded > 5);
    await bob.waitForTimeout(1000);
    await shot(bob, "call-screen-share");

    // ---- Bob reads another channel: picture-in-picture; back to the call ------------------
    await bob.getByRole("link", { name: /^Channel elsewhere/ }).click();
    const pip = bob.getByRole("complementary", { name: "Call in progress" });
    await pip.waitFor();
    await pip.getByRole("button", { name: "Return to call" }).click();
    await bob.getByRole("region", { name: "Call", exact: true }).waitFor();
    await pip.waitFor({ state: "detached" });

    // ---- Alice hangs up: the call ends on both sides -------------------------------------
    await alice.getByRole("region", { name: "Call", exact: true }).getByRole("button", { name: "Hang up" }).click();
    await bob.getByRole("region", { name: "Call", exact: true }).waitFor({ state: "detached" });
    await bob.getByRole("status").getByText("Call ended").waitFor();
    await alice.getByRole("region", { name: "Call", exact: true }).waitFor({ state: "detached" });
    for (const page of [alice, bob]) assert.equal((await stats(page)).state, "closed");
    await alice.getByRole("button", { name: "Start call" }).waitFor();

    assert.deepEqual(
      errors.filter((e) => !/status of 40[0-9]/.test(e)),
      [],
    );
  },
);
