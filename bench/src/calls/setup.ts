/**
 * Call setup time (issue 14, "Speed"): from the click that starts or joins a call to the first
 * remote video frame, in the real web app (packages/web/dist served by a real Parley server) in
 * headless Chromium with fake camera and microphone, driven as the browser tests drive it
 * (test/browser/call-1to1.test.ts, call-group.test.ts, with their helpers):
 *
 * - 1:1 through coturn: Alice clicks "Start call" in her DM with Bob; Bob's page clicks Accept as
 *   soon as the incoming-call dialog shows. Relay-only ICE (call-pages.ts's relayOnly), so the
 *   media goes through coturn. Figures: Alice's click to her first frame of Bob (ringing and
 *   Bob's accept included), and Bob's Accept click to his first frame of Alice.
 * - Group of --group through Janus: in a channel all of them are in, the first page clicks
 *   "Start call" and the others click "Join call" as soon as it shows. Figures: the caller's click
 *   to its first remote frame, each joiner's click to its own first remote frame, and the
 *   caller's click to every page showing every other page's video.
 *
 * Timing is in the pages, on one clock (performance.timeOrigin + performance.now(): the pages of
 * one browser on one machine). The click is noted by a capture-phase listener on the window,
 * before the app's handler runs. A remote frame is noted with requestVideoFrameCallback on every
 * <video> the app gives a stream: the callback's presentationTime (the frame was decoded and handed
 * to the compositor), counted when the element's video track is the receiver track of one of the
 * page's peer connections (not the local preview).
 *
 * Baseline in the same run: SFrame off and on alternate round by round (off-on, on-off, …). The
 * app refuses to call in clear, so "off" is made by this bench's init script: while the page's
 * flag is set, the `transform` setter of RTCRtpSender / RTCRtpReceiver drops the SFrame transform
 * the app attaches. Keys, worker, codec choice and signalling are the same as with SFrame on; the
 * difference is the encryption of every frame. Every call is checked: SFrame on, every sender and
 * receiver has its transform; off, none has.
 *
 * The first call of each case and SFrame setting warms up and is not counted. A call that shows
 * no remote frame within 90 s counts as failed and is left out (printed).
 *
 *   node bench/src/calls/setup.ts [--rounds 8] [--group-rounds 4] [--group 4] [--cases 1to1,group]
 */
import os from "node:os";
import type { Browser, Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { startTestJanus, type TestJanus } from "@parley/server/testing/janus";
import { startTestCoturn, type TestCoturn } from "@parley/server/testing/coturn";
import type { TestServer } from "@parley/server/testing/harness";
import { launchChromium, newUserPage, signIn, startWebServer } from "../../../test/browser/browser-support.ts";
import { openDmBothWays } from "../../../test/browser/call-dm.ts";
import { everyoneInChannel, keepConnections, relayOnly, SMALL_CAMERA } from "../../../test/browser/call-pages.ts";
import { percentile } from "./stats.ts";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const ROUNDS = Number(arg("rounds", "8"));
const GROUP_ROUNDS = Number(arg("group-rounds", "4"));
const GROUP = Number(arg("group", "4"));
const CASES = arg("cases", "1to1,group").split(",");
const FRAME_TIMEOUT = 90_000;

/** What the bench's init script notes in a page (absolute ms: timeOrigin + performance.now()). */
interface Marks {
  /** The first click since the last reset. */
  click?: number;
  /** When an incoming-call dialog first showed since the last reset. */
  dialog?: number;
  /** First frame presented per remote video track id. */
  frames: Record<string, number>;
  /** SFrame off: the app's transforms are not attached. */
  clear: boolean;
}

/** Init script of the bench (after relayOnly / keepConnections, which keep `__pcs`). */
function timing(): void {
  const w = window as unknown as { __marks: Marks; __pcs: RTCPeerConnection[] };
  w.__marks = { frames: {}, clear: false };
  const at = (t = performance.now()) => performance.timeOrigin + t;
  // The baseline: while `clear` is set, the SFrame transforms the app attaches are dropped.
  for (const proto of [RTCRtpSender.prototype, RTCRtpReceiver.prototype]) {
    const d = Object.getOwnPropertyDescriptor(proto, "transform")!;
    Object.defineProperty(proto, "transform", {
      ...d,
      set(v: RTCRtpTransform | null) {
        if (!w.__marks.clear) d.set!.call(this, v);
      },
    });
  }
  addEventListener("click", () => void (w.__marks.click ??= at()), true);
  new MutationObserver(() => {
    if (w.__marks.dialog === undefined && document.querySelector('[role="alertdialog"]')) w.__marks.dialog = at();
  }).observe(document, { childList: true, subtree: true });
  const firstFrame = (el: HTMLVideoElement) =>
    el.requestVideoFrameCallback((_now, meta) => {
      const remote = new Set(w.__pcs.flatMap((pc) => pc.getReceivers().map((r) => r.track)));
      const track = ((el.srcObject as MediaStream | null)?.getVideoTracks() ?? []).find((t) => remote.has(t));
      if (track && !(track.id in w.__marks.frames)) w.__marks.frames[track.id] = at(meta.presentationTime);
    });
  const src = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, "srcObject")!;
  Object.defineProperty(HTMLMediaElement.prototype, "srcObject", {
    ...src,
    set(this: HTMLMediaElement, v: MediaProvider | null) {
      src.set!.call(this, v);
      if (this instanceof HTMLVideoElement && v) firstFrame(this);
    },
  });
}

function reset(page: Page, clear: boolean): Promise<void> {
  return page.evaluate((clear) => {
    const m = (window as unknown as { __marks: Marks }).__marks;
    Object.assign(m, { click: undefined, dialog: undefined, frames: {}, clear });
  }, clear);
}

const marks = (page: Page) => page.evaluate(() => (window as unknown as { __marks: Marks }).__marks);

/** The page's first `n` remote video tracks' first frames, sorted (waits up to FRAME_TIMEOUT). */
async function frames(page: Page, n: number): Promise<number[]> {
  await page.waitForFunction((n) => Object.keys((window as unknown as { __marks: Marks }).__marks.frames).length >= n, n, {
    timeout: FRAME_TIMEOUT,
    polling: 100,
  });
  return Object.values((await marks(page)).frames).sort((a, b) => a - b);
}

/** Senders and receivers of the page's open peer connections with and without a transform. */
function transforms(page: Page): Promise<{ protectedCount: number; clearCount: number }> {
  return page.evaluate(() => {
    let protectedCount = 0;
    let clearCount = 0;
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((p) => p.connectionState !== "closed"))
      for (const t of pc.getTransceivers()) {
        const parts = [t.sender.track ? t.sender : undefined, t.currentDirection !== "sendonly" ? t.receiver : undefined];
        for (const part of parts)
          if (part?.transform) protectedCount++;
          else if (part) clearCount++;
      }
    return { protectedCount, clearCount };
  });
}

async function checkTransforms(pages: Page[], sframe: boolean): Promise<void> {
  for (const page of pages) {
    const t = await transforms(page);
    if (sframe ? t.clearCount > 0 || t.protectedCount === 0 : t.protectedCount > 0) throw new Error(`SFrame ${sframe ? "on" : "off"} but ${JSON.stringify(t)}`);
  }
}

const callRegion = (page: Page) => page.getByRole("region", { name: "Call", exact: true });

/** Hang up every page still in a call (joiners first), decline a ringing dialog; wait until no page shows a call. */
async function hangUpAll(pages: Page[]): Promise<void> {
  for (const page of [...pages.slice(1), pages[0]!]) {
    const hangUp = callRegion(page).getByRole("button", { name: "Hang up" });
    if (await hangUp.isVisible()) await hangUp.click();
    const decline = page.getByRole("alertdialog").getByRole("button", { name: "Decline" });
    if (await decline.isVisible()) await decline.click();
  }
  for (const page of pages) {
    await callRegion(page).waitFor({ state: "detached", timeout: 30_000 });
    await page.getByRole("button", { name: "Join call" }).waitFor({ state: "detached", timeout: 30_000 });
  }
  await pages[0]!.getByRole("button", { name: "Start call" }).waitFor({ timeout: 30_000 });
}

interface OneToOne {
  caller: number;
  callee: number;
  /** From the dialog showing to Bob's Accept click (the harness's share of `caller`). */
  accept: number;
}

async function oneToOne(alice: Page, bob: Page, sframe: boolean): Promise<OneToOne> {
  await Promise.all([reset(alice, !sframe), reset(bob, !sframe)]);
  await alice.getByRole("button", { name: "Start call" }).click();
  await bob.getByRole("alertdialog", { name: "Alice Owner" }).getByRole("button", { name: "Accept" }).click({ timeout: 30_000 });
  const [fa, fb] = await Promise.all([frames(alice, 1), frames(bob, 1)]);
  const [ma, mb] = await Promise.all([marks(alice), marks(bob)]);
  await checkTransforms([alice, bob], sframe);
  await hangUpAll([alice, bob]);
  return { caller: fa[0]! - ma.click!, callee: fb[0]! - mb.click!, accept: mb.click! - mb.dialog! };
}

interface Group {
  caller: number;
  joiners: number[];
  all: number;
}

async function groupCall(pages: Page[], sframe: boolean): Promise<Group> {
  const n = pages.length;
  await Promise.all(pages.map((p) => reset(p, !sframe)));
  await pages[0]!.getByRole("button", { name: "Start call" }).click();
  await Promise.all(pages.slice(1).map((p) => p.getByRole("button", { name: "Join call" }).click({ timeout: 60_000 })));
  const seen = await Promise.all(pages.map((p) => frames(p, n - 1)));
  const clicks = (await Promise.all(pages.map(marks))).map((m) => m.click!);
  await checkTransforms(pages, sframe);
  await hangUpAll(pages);
  return {
    caller: seen[0]![0]! - clicks[0]!,
    joiners: seen.slice(1).map((f, i) => f[0]! - clicks[i + 1]!),
    all: Math.max(...seen.map((f) => f[n - 2]!)) - clicks[0]!,
  };
}

/** Rounds of a case, SFrame off and on alternating, after one uncounted warm-up call of each; failed calls logged and left out. */
async function rounds<R>(name: string, count: number, pages: Page[], call: (sframe: boolean) => Promise<R>, show: (r: R) => string) {
  const out = { off: [] as R[], on: [] as R[], failed: { off: 0, on: 0 } };
  let failedInRow = 0;
  for (let r = -1; r < count; r++) {
    for (const sframe of (r + 2) % 2 === 0 ? [false, true] : [true, false]) {
      const k = sframe ? "on" : "off";
      const label = `${name} ${r < 0 ? "warm-up" : `round ${r + 1}/${count}`} SFrame ${k}`;
      try {
        const x = await call(sframe);
        failedInRow = 0;
        console.log(`${label}: ${show(x)}`);
        if (r >= 0) out[k].push(x);
      } catch (err) {
        out.failed[k]++;
        console.log(`${label}: FAILED ${(err as Error).message.split("\n")[0]}`);
        await hangUpAll(pages).catch((e: unknown) => console.log(`  hang-up after the failure failed too: ${(e as Error).message.split("\n")[0]}`));
        if (++failedInRow >= 3) {
          console.log(`${name}: three calls in a row failed, case stopped`);
          return out;
        }
      }
    }
  }
  return out;
}

const ms = (v: number) => `${v.toFixed(0)} ms`;
const row = (what: string, k: string, v: number[]) =>
  `| ${what} | ${k} | ${v.length} | ${percentile(v, 0.5).toFixed(0)} | ${percentile(v, 0.99).toFixed(0)} | ${v.length ? Math.min(...v).toFixed(0) : "-"} |`;

let coturn: TestCoturn | undefined;
let janus: TestJanus | undefined;
let server: TestServer | undefined;
let browser: Browser | undefined;
let chromiumPid: number | undefined;

async function main(): Promise<void> {
  [coturn, janus] = await Promise.all([startTestCoturn(), startTestJanus()]);
  server = await startWebServer({
    turnServer: `127.0.0.1:${coturn.port}`,
    turnSecret: coturn.secret,
    janusUrl: janus.url,
    janusApiSecret: janus.apiSecret,
    janusAdminKey: janus.adminKey,
    // A call every few seconds from the same user: no ring limit.
    callRingsPerMinute: 10_000,
  });
  browser = await launchChromium([
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
  ]);
  const cdp = await browser.newBrowserCDPSession();
  const info = (await cdp.send("SystemInfo.getProcessInfo")) as { processInfo: { type: string; id: number }[] };
  chromiumPid = info.processInfo.find((p) => p.type === "browser")?.id;
  await cdp.detach();
  const errors: string[] = [];
  const owner = await bootstrapOrg(server, { orgSlug: "bench", orgName: "Bench Calls", username: "alice", displayName: "Alice Owner" });
  await makeUser(server, owner, { username: "bob", displayName: "Bob Member" });
  for (let i = 1; i <= GROUP; i++) await makeUser(server, owner, { username: `m${i}`, displayName: `Member ${i}` });
  const userPage = async (username: string, init: "relay" | "group") => {
    const page = await newUserPage(browser!, errors);
    page.setDefaultTimeout(45_000); // several pages' media on a small shared machine
    if (init === "relay") await page.context().addInitScript(relayOnly);
    else await page.context().addInitScript(keepConnections, SMALL_CAMERA);
    await page.context().addInitScript(timing);
    await signIn(page, server!.url, "bench", username, { deviceName: `${username} bench`, until: "signed-in", live: true });
    return page;
  };
  console.log(
    `Call setup time: ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, node ${process.version}, Chromium ${browser.version()}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at start; 1:1 ${ROUNDS} rounds, group of ${GROUP} ${GROUP_ROUNDS} rounds, SFrame off and on alternating`,
  );

  const table: string[] = [];
  const notes: string[] = [];
  if (CASES.includes("1to1")) {
    const alice = await userPage("alice", "relay");
    const bob = await userPage("bob", "relay");
    await openDmBothWays(alice, bob, { alice: "Bench call?", bob: "Ready" });
    const res = await rounds(
      "1:1",
      ROUNDS,
      [alice, bob],
      (sframe) => oneToOne(alice, bob, sframe),
      (x) => `caller click -> first frame ${ms(x.caller)}, callee Accept -> first frame ${ms(x.callee)} (Accept ${ms(x.accept)} after the dialog showed)`,
    );
    for (const k of ["off", "on"] as const)
      table.push(
        row(
          "1:1 via coturn: caller's click -> first remote frame",
          k,
          res[k].map((x) => x.caller),
        ),
      );
    for (const k of ["off", "on"] as const)
      table.push(
        row(
          "1:1 via coturn: callee's Accept -> first remote frame",
          k,
          res[k].map((x) => x.callee),
        ),
      );
    const accepts = [...res.off, ...res.on].map((x) => x.accept);
    notes.push(
      `1:1: Accept clicked p50 ${ms(percentile(accepts, 0.5))} after the dialog showed (inside the caller's figure); failed calls ${JSON.stringify(res.failed)}`,
    );
    await alice.context().close();
    await bob.context().close();
  }
  if (CASES.includes("group")) {
    for (let i = 0; i < 400 && !server.deps.sfu!.health().up; i++) await new Promise((r) => setTimeout(r, 25));
    const pages: Page[] = [];
    for (let i = 1; i <= GROUP; i++) pages.push(await userPage(`m${i}`, "group"));
    await everyoneInChannel(pages, "bench-group");
    const res = await rounds(
      "group",
      GROUP_ROUNDS,
      pages,
      (sframe) => groupCall(pages, sframe),
      (x) => `caller click -> first remote frame ${ms(x.caller)}, joiners ${x.joiners.map(ms).join(", ")}, every page sees every other ${ms(x.all)}`,
    );
    const g = `group of ${GROUP} via Janus`;
    for (const k of ["off", "on"] as const)
      table.push(
        row(
          `${g}: caller's click -> first remote frame`,
          k,
          res[k].map((x) => x.caller),
        ),
      );
    for (const k of ["off", "on"] as const)
      table.push(
        row(
          `${g}: joiner's click -> its first remote frame`,
          k,
          res[k].flatMap((x) => x.joiners),
        ),
      );
    for (const k of ["off", "on"] as const)
      table.push(
        row(
          `${g}: caller's click -> every page shows every other`,
          k,
          res[k].map((x) => x.all),
        ),
      );
    notes.push(`group: failed calls ${JSON.stringify(res.failed)}`);
  }
  console.log(
    `\nload ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at the end; p99 is nearest rank (with fewer than 100 samples: the largest)`,
  );
  console.log("| case | SFrame | n | p50 ms | p99 ms | min ms |");
  console.log("|---|---|---|---|---|---|");
  for (const line of table) console.log(line);
  for (const note of notes) console.log(note);
  if (errors.length) console.log(`page errors (${errors.length}): ${errors.slice(0, 5).join(" | ")}`);
}

/** Stop what this bench started: Chromium (by its PID if close hangs), the server, coturn and Janus (their scripts stop them by PID). */
async function stopAll(): Promise<void> {
  const step = async (what: string, f: () => Promise<unknown> | undefined) => {
    try {
      await Promise.race([f(), new Promise((_, no) => setTimeout(() => no(new Error("timed out")), 15_000))]);
    } catch (err) {
      console.error(`stopping ${what}: ${(err as Error).message}`);
    }
  };
  await step("chromium", () => browser?.close());
  if (chromiumPid) {
    try {
      process.kill(chromiumPid, 0);
      process.kill(chromiumPid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  await step("server", () => server?.stop());
  await step("coturn", () => coturn?.stop());
  await step("janus", () => janus?.stop());
}

for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    console.error(`${signal}: stopping`);
    void stopAll().finally(() => process.exit(130));
  });

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  console.error(err);
} finally {
  await stopAll();
}
