import { test } from "node:test";
import assert from "node:assert/strict";
import { callHealth, STALE_KEY_DROPS, undecryptableSenders } from "./call-health.ts";
import type { SFrameReceived, SFrameStats } from "./sframe-transform.ts";
import { emptyLinkStats, type LinkStats } from "./link-stats.ts";

function stats(over: Partial<Omit<LinkStats, "sframe">> & { decrypted?: number; reasons?: LinkStats["sframe"]["reasons"] } = {}): LinkStats {
  const { decrypted = 0, reasons = {}, ...rest } = over;
  const sframe = { encrypted: 0, decrypted, dropped: Object.values(reasons).reduce((a, b) => a + (b ?? 0), 0), reasons, senders: {}, epochs: [1] };
  return { ...emptyLinkStats(sframe), ...rest };
}

test("quality: loss over the interval and the round trip decide good / fair / poor; nothing known is unknown", () => {
  const base = stats({ packetsReceived: 1000, packetsLost: 10 });
  assert.equal(callHealth(base, stats({ packetsReceived: 1990, packetsLost: 20, roundTripTime: 0.02 })).quality, "good");
  // 1 % lost in the interval, the earlier losses do not count
  assert.equal(callHealth(base, stats({ packetsReceived: 1990, packetsLost: 20 })).loss, 0.01);
  assert.equal(callHealth(base, stats({ packetsReceived: 1950, packetsLost: 60 })).quality, "fair"); // 5 %
  assert.equal(callHealth(base, stats({ packetsReceived: 1850, packetsLost: 160 })).quality, "poor"); // 15 %
  assert.equal(callHealth(base, stats({ packetsReceived: 2000, packetsLost: 10, roundTripTime: 0.2 })).quality, "fair");
  assert.equal(callHealth(base, stats({ packetsReceived: 2000, packetsLost: 10, roundTripTime: 0.5 })).quality, "poor");
  assert.equal(callHealth(base, base).quality, "unknown");
  assert.equal(callHealth(base, stats({ packetsReceived: 1000, packetsLost: 10, localCandidateType: "relay" })).relayed, true);
});

test("stale keys: frames dropped for keys while none opens; not while some still open, nor for a few drops", () => {
  const prev = stats({ decrypted: 500, reasons: { auth_failed: 3 } });
  assert.equal(callHealth(prev, stats({ decrypted: 500, reasons: { auth_failed: 3 + STALE_KEY_DROPS } })).keysStale, true);
  assert.equal(callHealth(prev, stats({ decrypted: 500, reasons: { auth_failed: 3, unknown_epoch: 6, no_keys: 6 } })).keysStale, true);
  assert.equal(callHealth(prev, stats({ decrypted: 520, reasons: { auth_failed: 3 + STALE_KEY_DROPS } })).keysStale, false);
  assert.equal(callHealth(prev, stats({ decrypted: 500, reasons: { auth_failed: 5 } })).keysStale, false);
  // replays and malformed packets are not a key problem
  assert.equal(callHealth(prev, stats({ decrypted: 500, reasons: { auth_failed: 3, replay: 40, malformed: 40 } })).keysStale, false);
});

test("undecryptable senders: the one sender whose frames all fail for keys while the others open", () => {
  const sender = (decrypted: number, reasons: SFrameReceived["reasons"] = {}): SFrameReceived => ({
    decrypted,
    dropped: Object.values(reasons).reduce((a, b) => a + (b ?? 0), 0),
    reasons,
  });
  const all = (senders: Record<number, SFrameReceived>): SFrameStats => ({ encrypted: 0, decrypted: 0, dropped: 0, reasons: {}, senders, epochs: [4] });
  const prev = all({ 1: sender(300), 2: sender(0, { unknown_epoch: 40 }), 3: sender(290, { auth_failed: 1 }) });
  const now = all({
    1: sender(400),
    2: sender(0, { unknown_epoch: 40 + STALE_KEY_DROPS }),
    3: sender(390, { auth_failed: 30 }), // drops, but frames still open: not stuck
    4: sender(0, { expired_epoch: STALE_KEY_DROPS }), // new this interval, all failing
    5: sender(0, { replay: 50 }), // replays are not a key problem
  });
  assert.deepEqual(undecryptableSenders(prev, now), [2, 4]);
  assert.deepEqual(undecryptableSenders(now, now), [], "nothing new arrived");
});
