import { test } from "node:test";
import assert from "node:assert/strict";
import {
  audioOnlyByDefault,
  cameraEncodings,
  GRID_SUBSTREAM,
  LARGE_SUBSTREAM,
  levelBetween,
  newFeedMids,
  pickSpeaker,
  sdpStreams,
  simulcastLayers,
  videoStreamWishes,
} from "./group-streams.ts";

const offer = (lines: string[]) => ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", ...lines].join("\r\n") + "\r\n";
const m = (kind: string, mid: string, opts: { port?: number; dir?: string } = {}) => [
  `m=${kind} ${opts.port ?? 9} UDP/TLS/RTP/SAVPF 111`,
  "c=IN IP4 0.0.0.0",
  `a=mid:${mid}`,
  `a=${opts.dir ?? "sendonly"}`,
];

test("sdp streams: mid, kind and liveness of each m-line (port 0 and inactive are not live)", () => {
  const sdp = offer([...m("audio", "0"), ...m("video", "1", { port: 0 }), ...m("video", "2", { dir: "inactive" })]);
  assert.deepEqual(sdpStreams(sdp), [
    { mid: "0", kind: "audio", live: true },
    { mid: "1", kind: "video", live: false },
    { mid: "2", kind: "video", live: false },
  ]);
});

test("a newly subscribed feed owns the live m-lines nobody holds: microphone, camera, then screen; a reused m-line counts", () => {
  const first = offer([...m("audio", "0"), ...m("video", "1"), ...m("video", "2")]);
  assert.deepEqual(newFeedMids(first, new Set()), { audio: "0", camera: "1", screen: "2" });
  // The SFU appended the second feed's streams; the first feed's stay where they were.
  const second = offer([...m("audio", "0"), ...m("video", "1"), ...m("video", "2"), ...m("audio", "3"), ...m("video", "4")]);
  assert.deepEqual(newFeedMids(second, new Set(["0", "1", "2"])), { audio: "3", camera: "4", screen: undefined });
  // The first feed left (its m-lines inactive) and a third took one of them over.
  const third = offer([...m("audio", "0"), ...m("video", "1", { dir: "inactive" }), ...m("video", "2", { port: 0 }), ...m("audio", "3"), ...m("video", "4")]);
  assert.deepEqual(newFeedMids(third, new Set(["3", "4"])), { audio: "0", camera: undefined, screen: undefined });
});

test("active speaker: the loudest above the threshold, held while nobody speaks or nobody is clearly louder", () => {
  assert.equal(pickSpeaker(new Map([["a", 0.001]]), undefined), undefined);
  assert.equal(
    pickSpeaker(
      new Map([
        ["a", 0.05],
        ["b", 0.2],
      ]),
      undefined,
    ),
    "b",
  );
  assert.equal(
    pickSpeaker(
      new Map([
        ["a", 0],
        ["b", 0],
      ]),
      "b",
    ),
    "b",
  );
  assert.equal(
    pickSpeaker(
      new Map([
        ["a", 0.12],
        ["b", 0.1],
      ]),
      "b",
    ),
    "b",
  );
  assert.equal(
    pickSpeaker(
      new Map([
        ["a", 0.3],
        ["b", 0.1],
      ]),
      "b",
    ),
    "a",
  );
  assert.equal(
    pickSpeaker(
      new Map([
        ["a", 0.05],
        ["b", 0.001],
      ]),
      "b",
    ),
    "a",
  );
});

test("audio level from energy and duration deltas; audio-only above twelve people", () => {
  assert.equal(levelBetween(undefined, { energy: 1, duration: 1 }), 0);
  assert.ok(Math.abs(levelBetween({ energy: 1, duration: 1 }, { energy: 1.04, duration: 2 }) - 0.2) < 1e-9);
  assert.equal(levelBetween({ energy: 1, duration: 1 }, { energy: 1, duration: 1 }), 0);
  assert.equal(audioOnlyByDefault(12), false);
  assert.equal(audioOnlyByDefault(13), true);
});

test("simulcast: layers by camera size (none below 640×360), encodings highest first at halving sizes", () => {
  assert.equal(simulcastLayers({ width: 320, height: 240 }), 1);
  assert.equal(simulcastLayers({}), 1);
  assert.equal(simulcastLayers({ width: 640, height: 480 }), 2);
  assert.equal(simulcastLayers({ width: 640, height: 360 }), 2);
  assert.equal(simulcastLayers({ width: 1280, height: 720 }), 3);
  assert.deepEqual(cameraEncodings(1), [{}]);
  assert.deepEqual(cameraEncodings(2), [
    { rid: "h", scaleResolutionDownBy: 1 },
    { rid: "m", scaleResolutionDownBy: 2 },
  ]);
  assert.deepEqual(
    cameraEncodings(3).map((e) => e.scaleResolutionDownBy),
    [1, 2, 4],
  );
});

test("video stream wishes: audio-only stops every video m-line; else the large tile's camera high, the others low, screens sent", () => {
  const feeds = [
    { deviceId: "a", mids: { audio: "0", camera: "1", screen: "2" } },
    { deviceId: "b", mids: { audio: "3", camera: "4", screen: undefined } },
    { deviceId: "c", mids: { audio: "5", camera: undefined, screen: undefined } },
  ];
  assert.deepEqual(videoStreamWishes(feeds, { audioOnly: true, large: "a" }), [
    { mid: "1", send: false },
    { mid: "2", send: false },
    { mid: "4", send: false },
  ]);
  assert.deepEqual(videoStreamWishes(feeds, { audioOnly: false, large: "b" }), [
    { mid: "1", send: true, substream: GRID_SUBSTREAM },
    { mid: "2", send: true },
    { mid: "4", send: true, substream: LARGE_SUBSTREAM },
  ]);
  assert.ok(LARGE_SUBSTREAM > GRID_SUBSTREAM);
  assert.deepEqual(
    videoStreamWishes(feeds, { audioOnly: false, large: undefined }).map((w) => w.substream),
    [GRID_SUBSTREAM, undefined, GRID_SUBSTREAM],
  );
});
