// Proof that group-call media is end-to-end encrypted (issue 14, done-means 2 and 3), at real
// components: three Chromium pages (fake camera and microphone, the web app's SFrame worker on
// every sender and receiver), the real server and a real Janus. Each person is an SDK client in
// this process (their device: MLS group, signalling through client.calls / client.calls.sfu)
// and a page that does the media, the keys going from the client to the page on every epoch
// change as the web app's worker does. The test — never the product — makes Janus record the
// call's room, and reads what the SFU received from the .mjr files:
//   - every recorded frame opens with the call's key for its epoch and sender (so the recording
//     is the real media) and with no other key; as captured, a VP8 decoder cannot make the
//     pictures out (control: the same frames decrypted decode to the camera's pictures, which is
//     what the SFU would have held with SFrame off);
//   - Carol, removed from the channel mid-call, is dropped (call.state `left`/`removed`, her feed
//     gone from the SFU, no more packets to her page, the SFU refuses her), Alice and Bob move to
//     a new epoch, Bob keeps decoding Alice, and nothing recorded after the rotation opens with
//     any key Carol's page or device ever held.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type http from "node:http";
import type { Browser, Page } from "playwright-core";
import { decodeSFrameHeader, deriveKeySalt, importSFrameKey, parseMlsKid, sframeOpen, type SFrameKey } from "@parley/crypto/sframe";
import { freePort } from "@parley/server/testing/ports";
import { startTestServer, type TestServer } from "@parley/server/testing/harness";
import { startTestJanus, type TestJanus } from "@parley/server/testing/janus";
import { opusFrames, readRecordings, recordRoom, vp8Frames, type RecordedFrame, type Recording } from "@parley/server/testing/sfu-recording";
import { loadRoomSecrets } from "../../packages/server/src/platform/sfu/room-key.ts";
import { makeOrg, until } from "../../packages/sdk/src/testing/e2ee-clients.ts";
import { isParleyError, type CallSfuEvents, type CallEvents, type ParleyClient } from "../../packages/sdk/src/index.ts";
import { clearPrefixLength } from "../../packages/web/src/calls/frame-layout.ts";
import { launchChromium } from "./browser-support.ts";
import { serveModules } from "./call-modules.ts";
import { applyAnswer, decodeVp8, heldKeys, publisherOffer, pushKeys, received, startMedia, subscriberAnswer, type PageKeys } from "./call-e2ee-pages.ts";

/** Everything the test runs, started once: Janus, the server wired to it, the page modules, Chromium. */
const stack = {} as { modules: http.Server; browser: Browser; janus: TestJanus; server: TestServer; base: string; recDir: string };

before(async () => {
  stack.janus = await startTestJanus();
  const { janus } = stack;
  stack.server = await startTestServer({ dialect: "sqlite", config: { janusUrl: janus.url, janusApiSecret: janus.apiSecret, janusAdminKey: janus.adminKey } });
  const port = await freePort();
  stack.modules = await serveModules(port);
  stack.base = `http://127.0.0.1:${port}/`;
  stack.recDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-sfu-rec-"));
  const fakeMedia = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"];
  stack.browser = await launchChromium([...fakeMedia, "--autoplay-policy=no-user-gesture-required", "--allow-loopback-in-peer-connection"]);
});
after(async () => {
  await stack.browser?.close();
  await stack.server?.stop();
  await stack.janus?.stop();
  if (stack.modules) await new Promise((r) => stack.modules.close(r));
  if (stack.recDir) fs.rmSync(stack.recDir, { recursive: true, force: true });
});

interface Epoch {
  epoch: bigint;
  baseKey: Uint8Array;
  leaf: number;
}
interface Person {
  name: string;
  client: ParleyClient;
  page: Page;
  deviceId: string;
  /** Every epoch's keys this device derived, in order. */
  epochs: Epoch[];
  pushed: bigint | null | undefined;
  busy: boolean;
}

const toPage = (k: { suite: number; epoch: bigint; baseKey: Uint8Array; ownLeafIndex: number }): PageKeys => ({
  suite: k.suite,
  epoch: String(k.epoch),
  baseKey: [...k.baseKey],
  ownLeafIndex: k.ownLeafIndex,
});

/** As the web app's worker: push the channel's call keys to the page whenever its epoch changes, null once out of the group. */
async function relayKeys(p: Person, channelId: string): Promise<void> {
  if (p.busy) return;
  p.busy = true;
  try {
    const k = await p.client.e2ee!.callKeys(channelId);
    const epoch = k?.epoch ?? null;
    if (epoch === p.pushed) return;
    if (k) p.epochs.push({ epoch: k.epoch, baseKey: k.baseKey.slice(), leaf: k.ownLeafIndex });
    await pushKeys(p.page, k ? toPage(k) : null);
    p.pushed = epoch;
  } finally {
    p.busy = false;
  }
}

function next<E extends Record<string, unknown>, K extends keyof E & string>(
  on: (event: K, l: (p: E[K]) => void) => () => void,
  event: K,
  pred: (p: E[K]) => boolean,
  what: string,
): Promise<E[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within 20 s`)), 20_000);
    const off = on(event, (p) => {
      if (!pred(p)) return;
      clearTimeout(timer);
      off();
      resolve(p);
    });
  });
}
const feedsWhere = (c: ParleyClient, pred: (p: CallSfuEvents["feeds"]) => boolean, what: string) =>
  next<CallSfuEvents, "feeds">((e, l) => c.calls.sfu.on(e, l), "feeds", pred, what);
const stateWhere = (c: ParleyClient, pred: (p: CallEvents["state"]) => boolean, what: string) =>
  next<CallEvents, "state">((e, l) => c.calls.on(e, l), "state", pred, what);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const keyCache = new Map<string, Promise<SFrameKey>>();

/** The frame's plaintext if `baseKey` opens it (the key derived from the KID in its SFrame header), else undefined. */
async function openWith(baseKey: Uint8Array, kind: "audio" | "video", f: RecordedFrame): Promise<Uint8Array | undefined> {
  const n = clearPrefixLength(kind, "video/VP8", f.keyFrame);
  const body = f.data.subarray(n);
  const h = decodeSFrameHeader(body);
  if (!h) return undefined;
  const id = `${hex(baseKey)}/${h.kid}`;
  let key = keyCache.get(id);
  if (!key) keyCache.set(id, (key = deriveKeySalt(4, h.kid, baseKey).then(importSFrameKey)));
  return sframeOpen(await key, body, f.data.subarray(0, n));
}
const kidOf = (kind: "audio" | "video", f: RecordedFrame) => {
  const h = decodeSFrameHeader(f.data.subarray(clearPrefixLength(kind, "video/VP8", f.keyFrame)));
  return h ? parseMlsKid(h.kid) : undefined;
};

/** A recording's frames with its media kind. */
function framesOf(r: Recording): { kind: "audio" | "video"; frames: RecordedFrame[] } {
  assert.ok(r.info, `${r.file} has packets`);
  return r.info.t === "v" ? { kind: "video", frames: vp8Frames(r) } : { kind: "audio", frames: opusFrames(r) };
}

test(
  "a recording taken at the SFU holds only SFrame ciphertext, and a member removed mid-call can open nothing sent after",
  { timeout: 240_000 },
  async (t) => {
    const { browser, janus, server: s, base, recDir } = stack;
    for (let i = 0; i < 200 && !s.deps.sfu!.health().up; i++) await sleep(25);
    const org = await makeOrg(s.url);
    const [alice, bob, carol] = [org.owner, await org.user("bob"), await org.user("carol")];
    const clients = [alice, bob, carol];
    for (const c of clients) c.connect();
    await Promise.all(clients.map((c) => c.waitUntilLive()));
    const ch = await alice.createChannel({ kind: "private", name: "proof", members: [bob.userId, carol.userId] });
    await until(() => clients.every((c) => c.e2ee!.members(ch.id)?.length === 3), "everyone is in the channel's MLS group");

    const errors: string[] = [];
    const people: Person[] = [];
    for (const [i, client] of clients.entries()) {
      const page = await (await browser.newContext()).newPage();
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(base);
      await startMedia(page);
      people.push({ name: ["alice", "bob", "carol"][i]!, client, page, deviceId: client.session!.deviceId, epochs: [], pushed: undefined, busy: false });
    }
    const [A, B, C] = people as [Person, Person, Person];
    const relay = setInterval(() => {
      for (const p of people) void relayKeys(p, ch.id).catch((err: Error) => errors.push(`${p.name} keys: ${err.message}`));
    }, 150);
    try {
      await until(() => people.every((p) => typeof p.pushed === "bigint"), "every page has the channel's call keys", 10_000);
      const e1 = A.epochs[0]!.epoch;
      assert.ok(
        people.every((p) => p.epochs[0]!.epoch === e1 && hex(p.epochs[0]!.baseKey) === hex(A.epochs[0]!.baseKey)),
        "one epoch key for the three",
      );

      const call = await alice.calls.start(ch.id);
      assert.equal(call.kind, "sfu");
      await bob.calls.join(call.id);
      await carol.calls.join(call.id);
      // The test, not the product, turns on recording at the SFU for this room.
      const roomSecret = (await loadRoomSecrets(s.deps.db, s.deps.kms))(call.id);
      await recordRoom(janus, call.id, roomSecret, { dir: recDir });

      const allFeeds = people.map((p) => feedsWhere(p.client, (f) => f.feeds.length === 3, `${p.name}: three feeds`));
      for (const p of people) {
        const res = await p.client.calls.sfu.publish(call.id, await publisherOffer(p.page));
        await applyAnswer(p.page, res.answer.sdp);
      }
      await Promise.all(allFeeds);
      // Alice receives Bob and Carol, Bob receives Alice, Carol receives Alice and Bob.
      const subscriptions: Array<[Person, Person[]]> = [
        [A, [B, C]],
        [B, [A]],
        [C, [A, B]],
      ];
      for (const [p, from] of subscriptions) {
        const offer = await p.client.calls.sfu.subscribe(
          call.id,
          from.map((x) => x.deviceId),
        );
        await p.client.calls.sfu.start(call.id, await subscriberAnswer(p.page, offer.sdp));
      }
      const decoding = async (p: Person, videos: number, min = 10) => (await received(p.page)).videos.filter((n) => n > min).length === videos;
      for (let i = 0; i < 100 && !((await decoding(A, 2)) && (await decoding(B, 1)) && (await decoding(C, 2))); i++) await sleep(200);
      for (const [p, from] of subscriptions) assert.ok(await decoding(p, from.length), `${p.name} decodes: ${JSON.stringify(await received(p.page))}`);
      await sleep(2000);

      // Carol is removed from the channel: the server drops her device from the call and proposes
      // her MLS removal; a member's client commits it.
      const carolGone = stateWhere(
        alice,
        (st) => st.change?.kind === "left" && st.change.deviceId === C.deviceId && st.change.reason === "removed",
        "call.state: carol left (removed)",
      );
      const feedsWithoutCarol = feedsWhere(alice, (f) => !f.feeds.some((x) => x.deviceId === C.deviceId), "feeds without carol");
      const toldCarol: string[] = [];
      carol.calls.on("state", (st) => toldCarol.push(`state ${st.change.kind} ${st.change.reason ?? ""}`));
      carol.calls.on("ended", (e) => toldCarol.push(`ended ${e.reason}`));
      await alice.removeMember(ch.id, carol.userId);
      const state = await carolGone;
      assert.deepEqual(state.call.participants.map((x) => x.deviceId).sort(), [A.deviceId, B.deviceId].sort());
      await feedsWithoutCarol;
      await until(
        () => A.pushed !== e1 && B.pushed !== e1 && typeof A.pushed === "bigint" && A.pushed === B.pushed,
        "alice's and bob's pages have the next epoch's keys",
        20_000,
      );
      const rotatedAt = Date.now();
      const e2 = A.pushed as bigint;
      assert.ok(e2 > e1);
      assert.notEqual(hex(A.epochs.at(-1)!.baseKey), hex(A.epochs[0]!.baseKey), "a new base key");

      // Carol's subscriber gets nothing more; the SFU refuses her; her device derives no newer key.
      await sleep(1000);
      const carolThen = (await received(C.page)).packets;
      const bobThen = await received(B.page);
      await sleep(3000);
      const carolNow = await received(C.page);
      const bobNow = await received(B.page);
      assert.equal(carolNow.packets, carolThen, "no media reaches the removed device");
      assert.ok(bobNow.videos[0]! - bobThen.videos[0]! > 20, `bob keeps decoding alice after the rotation: ${JSON.stringify({ bobThen, bobNow })}`);
      assert.ok(bobNow.decrypted - bobThen.decrypted > 50);
      await assert.rejects(carol.calls.sfu.subscribe(call.id, [A.deviceId]), (err: unknown) => isParleyError(err));
      const carolKeys = await carol.e2ee!.callKeys(ch.id);
      assert.ok(carolKeys === undefined || carolKeys.epoch === e1, "carol's device has no key of the new epoch");
      t.diagnostic(`carol's client was told: ${JSON.stringify(toldCarol)}; keys pushed to her page last: ${String(C.pushed)}`);
      const carolHeld: Uint8Array[] = (await heldKeys(C.page)).map((k) => new Uint8Array(k.baseKey));
      if (carolKeys) carolHeld.push(carolKeys.baseKey);
      assert.ok(carolHeld.length >= 1);

      // Stop recording (Janus closes and flushes the files), then read what the SFU got.
      await recordRoom(janus, call.id, roomSecret, false);
      const stoppedAt = Date.now();
      const recordings = readRecordings(recDir);
      const keyOf = new Map<number, Epoch>(A.epochs.map((e) => [Number(e.epoch & 15n), e]));
      const other = [new Uint8Array(16).fill(7), ...A.epochs.map((e) => e.baseKey)];
      let opened = 0;
      let afterRotation = 0;
      for (const p of people) {
        const mine = recordings.filter((r) => r.feed === p.deviceId);
        assert.deepEqual(mine.map((r) => r.info?.t).sort(), ["a", "v"], `${p.name}: an audio and a video recording`);
        for (const r of mine) {
          const { kind, frames } = framesOf(r);
          assert.ok(frames.length > (kind === "video" ? 50 : 100), `${p.name} ${kind}: ${frames.length} frames recorded`);
          for (const f of frames) {
            const kid = kidOf(kind, f);
            assert.ok(kid, `${p.name} ${kind}: every frame carries an SFrame header`);
            const epoch = keyOf.get(kid.epochBits);
            assert.ok(epoch, `${p.name} ${kind}: a frame of a known epoch (${kid.epochBits})`);
            const sender = p.epochs.find((e) => e.epoch === epoch.epoch);
            assert.equal(kid.leafIndex, sender?.leaf, `${p.name} ${kind}: sent under the sender's own leaf`);
            // The call's key for that epoch opens it: the recording is the real media…
            assert.ok(await openWith(epoch.baseKey, kind, f), `${p.name} ${kind}: opens with the epoch's call key`);
            opened++;
            // …and no other key does.
            for (const k of other) if (k !== epoch.baseKey) assert.equal(await openWith(k, kind, f), undefined, `${p.name} ${kind}: another key opens nothing`);
            if (epoch.epoch === e2) {
              for (const k of carolHeld)
                assert.equal(await openWith(k, kind, f), undefined, `${p.name} ${kind}: no key carol held opens a frame of the new epoch`);
              afterRotation++;
            }
            if (f.at > rotatedAt + 1000 && f.at < stoppedAt)
              assert.equal(epoch.epoch, e2, `${p.name} ${kind}: everything sent after the rotation is of the new epoch`);
            if (p === C) assert.ok(f.at < rotatedAt, "the SFU received nothing from carol after her removal");
          }
        }
      }
      t.diagnostic(`recorded frames checked: ${opened}, of the new epoch: ${afterRotation}, keys carol held: ${carolHeld.length}`);
      assert.ok(afterRotation > 200, `frames recorded after the rotation: ${afterRotation}`);
      assert.ok(opened > 1000, `frames checked: ${opened}`);

      // As captured, a VP8 decoder cannot make out Alice's pictures; decrypted (what the SFU
      // would hold with SFrame off) the same frames decode to them.
      const video = framesOf(recordings.find((r) => r.feed === A.deviceId && r.info?.t === "v")!).frames;
      const firstKey = video.findIndex((f) => f.keyFrame);
      const run = video.slice(firstKey, firstKey + 30);
      const plain: Array<{ data: number[]; keyFrame: boolean }> = [];
      for (const f of run) {
        const body = await openWith(keyOf.get(kidOf("video", f)!.epochBits)!.baseKey, "video", f);
        const n = clearPrefixLength("video", "video/VP8", f.keyFrame);
        plain.push({ data: [...f.data.subarray(0, n), ...body!], keyFrame: f.keyFrame });
      }
      const control = await decodeVp8(A.page, plain);
      assert.equal(control.error, undefined, "the decrypted frames decode");
      assert.equal(control.pictures.length, run.length, "every decrypted frame gives a picture");
      const captured = await decodeVp8(
        A.page,
        run.map((f) => ({ data: [...f.data], keyFrame: f.keyFrame })),
      );
      const distance = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + Math.abs(x - b[i]!), 0) / a.length;
      const distances = captured.pictures.map((pic, i) => Math.round(distance(pic, control.pictures[i]!)));
      t.diagnostic(`VP8 decode of the captured frames: ${JSON.stringify({ error: captured.error, distances })}`);
      const close = distances.filter((d) => d < 8).length;
      assert.ok(
        captured.error !== undefined || close === 0,
        `the captured frames do not decode to the pictures: ${JSON.stringify({ error: captured.error, close })}`,
      );
      assert.deepEqual(errors, []);
    } finally {
      clearInterval(relay);
      for (const p of people) await p.page.context().close();
      await org.closeAll();
    }
  },
);
