// The speaker (audio output device) calls play through (docs/calls.md, "Speaker choice"). Where the
// browser has HTMLMediaElement.setSinkId, every element that plays a call's remote audio — the 1:1
// call's remote <video>, the group call's per-device <audio> — registers here while it exists and
// gets the chosen output, also the ones created after the choice. The choice is kept in
// localStorage for the next calls of this browser. When the chosen device goes away (unplugged,
// Bluetooth off), the elements play through the system default; the choice stays and applies again
// once the device is back (a `devicechange` event) or in a later call.

/** An audio output the user may pick. */
export interface Speaker {
  deviceId: string;
  label: string;
}

type SinkElement = HTMLMediaElement & { sinkId?: string; setSinkId(id: string): Promise<void> };

const KEY = "parley.call.speaker";
const elements = new Set<SinkElement>();
let watching = false;

/** Whether this browser lets a page pick the audio output (Chromium-based; not Safari, not Firefox before 116). */
export function speakerChoiceSupported(): boolean {
  return typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
}

/** The chosen output's device id; "" is the system default. */
export function chosenSpeaker(): string {
  try {
    return localStorage.getItem(KEY) ?? "";
  } catch {
    return "";
  }
}

/** The audio outputs (labels once the user allowed media). */
export async function listSpeakers(): Promise<Speaker[]> {
  const all = (await navigator.mediaDevices?.enumerateDevices()) ?? [];
  return all.filter((d) => d.kind === "audiooutput").map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Speaker ${i + 1}` }));
}

/** Play `el` through the chosen speaker, now and after later choices, until the returned function is called. */
export function playThroughSpeaker(el: HTMLMediaElement): () => void {
  if (!speakerChoiceSupported()) return () => undefined;
  const sink = el as SinkElement;
  elements.add(sink);
  watchDevices();
  void route([sink], chosenSpeaker());
  return () => void elements.delete(sink);
}

/** Use this output for every call element from now on, and remember it for later calls. */
export async function chooseSpeaker(deviceId: string): Promise<void> {
  try {
    localStorage.setItem(KEY, deviceId);
  } catch {
    // Storage disabled: the choice holds for this page's lifetime through the elements.
  }
  await route([...elements], deviceId);
}

// Set the sink of each element; a device that is not there (any more) gives the default instead.
async function route(els: SinkElement[], deviceId: string): Promise<void> {
  await Promise.all(
    els.map(async (el) => {
      if (el.sinkId === deviceId) return;
      try {
        await el.setSinkId(deviceId);
      } catch {
        if (el.sinkId !== "") await el.setSinkId("").catch(() => undefined);
      }
    }),
  );
}

// A device plugged in or out: the chosen one gone means the default; back means the chosen one again.
function watchDevices(): void {
  if (watching || !navigator.mediaDevices?.addEventListener) return;
  watching = true;
  navigator.mediaDevices.addEventListener("devicechange", () => {
    const chosen = chosenSpeaker();
    if (!chosen || !elements.size) return;
    void listSpeakers().then((list) => route([...elements], list.some((s) => s.deviceId === chosen) ? chosen : ""));
  });
}
