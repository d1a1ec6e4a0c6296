// The ring of an incoming call: two short tones every three seconds, made with Web Audio (no
// sound file to ship or fetch), through the speaker chosen for calls (speaker.ts) where the
// browser lets an AudioContext pick its output (AudioContext.setSinkId, Chromium 110+), else
// through the default one. Silent where the browser keeps audio suspended until the user has
// interacted with the page.
import { chosenSpeaker } from "./speaker.ts";

/** An AudioContext that may pick its output (not in TypeScript's DOM types yet). */
type SinkContext = AudioContext & { setSinkId?: (sinkId: string) => Promise<void> };

/** A ring that can be started and stopped. */
export class RingTone {
  #ctx: AudioContext | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  start(): void {
    if (this.#timer || typeof AudioContext === "undefined") return;
    try {
      this.#ctx ??= new AudioContext();
    } catch {
      return;
    }
    const sink = chosenSpeaker();
    const out = this.#ctx as SinkContext;
    // A chosen device that is gone (unplugged) rejects: the ring stays on the default output.
    if (sink && typeof out.setSinkId === "function") void out.setSinkId(sink).catch(() => undefined);
    const ring = () => {
      const ctx = this.#ctx;
      if (!ctx || ctx.state !== "running") return void ctx?.resume().catch(() => undefined);
      for (const [at, freq] of [
        [0, 440],
        [0.45, 480],
      ] as const) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.08, ctx.currentTime + at);
        gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + at + 0.4);
        osc.connect(gain).connect(ctx.destination);
        osc.start(ctx.currentTime + at);
        osc.stop(ctx.currentTime + at + 0.4);
      }
    };
    ring();
    this.#timer = setInterval(ring, 3000);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    void this.#ctx?.close().catch(() => undefined);
    this.#ctx = undefined;
  }
}
