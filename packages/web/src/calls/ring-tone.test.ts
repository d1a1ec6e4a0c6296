import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { RingTone } from "./ring-tone.ts";

// The browser's Web Audio and storage, as far as the ring uses them: an AudioContext that records
// its output choice and the tones it is asked to play, and a localStorage holding the choice.
const made: FakeContext[] = [];
/** Whether setSinkId fails as for a device that is not there. */
let gone = false;
class FakeContext {
  state = "running";
  currentTime = 0;
  destination = {};
  sinks: string[] = [];
  tones = 0;
  closed = false;
  constructor() {
    made.push(this);
  }
  setSinkId(id: string): Promise<void> {
    this.sinks.push(id);
    return gone ? Promise.reject(new DOMException("no such device", "NotFoundError")) : Promise.resolve();
  }
  createOscillator() {
    return { frequency: { value: 0 }, connect: (n: unknown) => n, start: () => (this.tones += 1), stop: () => undefined };
  }
  createGain() {
    return { gain: { setValueAtTime: () => undefined, exponentialRampToValueAtTime: () => undefined }, connect: (n: unknown) => n };
  }
  resume(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
const stored = new Map<string, string>();
const g = globalThis as Record<string, unknown>;
const saved = { AudioContext: g.AudioContext, localStorage: g.localStorage };

beforeEach(() => {
  made.length = 0;
  gone = false;
  stored.clear();
  g.AudioContext = FakeContext;
  Object.defineProperty(globalThis, "localStorage", {
    configurable: true,
    value: { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v) },
  });
});
afterEach(() => {
  g.AudioContext = saved.AudioContext;
  Object.defineProperty(globalThis, "localStorage", { configurable: true, value: saved.localStorage });
});

test("the ring plays through the speaker chosen for calls", () => {
  stored.set("parley.call.speaker", "headset-1");
  const ring = new RingTone();
  ring.start();
  assert.deepEqual(made[0]!.sinks, ["headset-1"]);
  assert.equal(made[0]!.tones, 2, "two tones at once");
  ring.stop();
  assert.ok(made[0]!.closed);
});

test("no choice: the default output, untouched; a chosen device that is gone leaves the ring on the default", async () => {
  const ring = new RingTone();
  ring.start();
  assert.deepEqual(made[0]!.sinks, []);
  assert.equal(made[0]!.tones, 2);
  ring.stop();

  stored.set("parley.call.speaker", "unplugged");
  gone = true;
  const again = new RingTone();
  again.start();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(made[1]!.sinks, ["unplugged"]);
  assert.equal(made[1]!.tones, 2, "it still rings");
  again.stop();
});
