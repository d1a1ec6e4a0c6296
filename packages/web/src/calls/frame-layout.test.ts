import { test } from "node:test";
import assert from "node:assert/strict";
import { clearPrefixLength } from "./frame-layout.ts";

test("clear prefix: VP8 keeps 10 bytes of a key frame and 3 of a delta frame; Opus and VP9 are encrypted whole", () => {
  assert.equal(clearPrefixLength("video", "video/VP8", true), 10);
  assert.equal(clearPrefixLength("video", "video/vp8", false), 3);
  assert.equal(clearPrefixLength("video", "video/VP9", true), 0);
  assert.equal(clearPrefixLength("video", undefined, true), 0);
  assert.equal(clearPrefixLength("audio", "audio/opus", false), 0);
});
