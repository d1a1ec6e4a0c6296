/**
 * A device that loses its connection in a call leaves it (issue 14; docs/calls.md, "A device
 * without connections"), in the web app against a real server and coturn: Alice and Bob are in a
 * 1:1 call; Bob's browser goes offline (Playwright's network emulation: his WebSocket closes and
 * no new one opens). Past PARLEY_CALL_DISCONNECT_SECONDS (5 here) the server drops his device with
 * reason `disconnected`, so the call ends on Alice's side although her media was still flowing
 * peer to peer. When Bob's browser is back online his app reads the calls again, finds its device
 * no longer in the call, ends it and says why. A short drop (under the limit) keeps the call.
 * Screenshot (test-results/screenshots/, a copy in docs/screenshots/): call-dropped.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { TestUser } from "@parley/server/testing/factories";
import { aliceAndBobInDm } from "./call-dm.ts";
import { shot } from "./browser-support.ts";
import { dmCallSuite, pollUntil } from "./call-pages.ts";

const suite = dmCallSuite({ callDisconnectSeconds: 5 });

/** The state of the page's latest peer connection ("none" before the first). */
function pcState(page: Page): Promise<string> {
  return page.evaluate(() => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    return pcs[pcs.length - 1]?.connectionState ?? "none";
  });
}

/** The disconnect checks the server scheduled so far (one each time a device in a call lost its last connection). */
async function disconnectChecks(): Promise<number> {
  const rows = await suite.server.deps.db.selectFrom("jobs").select("id").where("name", "=", "call.device-disconnected").execute();
  return rows.length;
}

/** The devices in the call of the DM, as the server lists them (none: no call). */
async function inCall(owner: TestUser): Promise<string[]> {
  const res = await owner.api("GET", "/calls");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const calls = res.body.calls as { participants: { deviceId: string }[] }[];
  return calls.flatMap((c) => c.participants.map((p) => p.deviceId));
}

test("a device offline past the limit leaves its call: the call ends for the peer, and the device says why once back", { timeout: 180_000 }, async () => {
  const { owner, alice, bob } = await aliceAndBobInDm(suite.server, suite.browser, suite.errors, "drop", { alice: "Call?", bob: "Go" });

  const connected = async () => {
    await alice.getByRole("button", { name: "Start call" }).click();
    const incoming = bob.getByRole("alertdialog", { name: "Alice Owner" });
    await incoming.getByRole("button", { name: "Accept" }).click();
    for (const page of [alice, bob])
      await pollUntil(
        "the call connects",
        () => pcState(page),
        (s) => s === "connected",
        30_000,
      );
    assert.equal((await inCall(owner)).length, 2, "both devices are in the call");
  };

  // ---- a short drop (well under the 5 s limit: the app reconnects at once once online): the call goes on ----
  await connected();
  await bob.context().setOffline(true);
  await pollUntil("Bob's socket closed: the server scheduled its check", disconnectChecks, (n) => n === 1, 2_500);
  await bob.context().setOffline(false);
  await bob.waitForTimeout(7_000); // past the limit, counted from the drop
  assert.equal((await inCall(owner)).length, 2, "a device back within the limit stays in the call");
  await bob.getByRole("region", { name: "Call", exact: true }).waitFor();
  await alice.getByRole("region", { name: "Call", exact: true }).getByRole("button", { name: "Hang up" }).click();
  await bob.getByRole("region", { name: "Call", exact: true }).waitFor({ state: "detached" });

  // ---- Bob's browser offline past the limit: the server drops him, Alice's call ends ----
  await connected();
  await bob.context().setOffline(true);
  await alice.getByRole("region", { name: "Call", exact: true }).waitFor({ state: "detached", timeout: 30_000 });
  assert.deepEqual(await inCall(owner), [], "the call is over");
  // Bob's page, still offline, does not know yet.
  await bob.getByRole("region", { name: "Call", exact: true }).waitFor();

  // ---- back online: Bob's app reads the calls again, ends its call and says why ----
  await bob.context().setOffline(false);
  await bob.getByRole("region", { name: "Call", exact: true }).waitFor({ state: "detached", timeout: 30_000 });
  await bob.getByRole("status").getByText("You left the call: this device was offline too long.").waitFor();
  await shot(bob, "call-dropped");
  assert.equal(await pcState(bob), "closed");
  await bob.getByRole("button", { name: "Start call" }).waitFor();

  assert.deepEqual(
    suite.errors.filter((e) => !/status of 40[0-9]|ERR_INTERNET_DISCONNECTED|net::ERR_/.test(e)),
    [],
  );
});
