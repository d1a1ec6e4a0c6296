// The speaker menu and its application to the call's elements. jsdom has neither setSinkId nor
// mediaDevices: the test gives the page the browser's two APIs (a prototype setSinkId that, like
// Chromium's, refuses a device that is not listed; an enumerateDevices with a changeable list and
// `devicechange`), and everything of ours is real: CallControls, VideoView, speaker.ts.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { act, fireEvent, render, screen } from "@testing-library/react";
import { CallControls } from "./call-controls.tsx";
import { VideoView } from "./video-view.tsx";
import { playThroughSpeaker } from "./speaker.ts";

type Sinked = HTMLMediaElement & { sinkId: string; setSinkId(id: string): Promise<void> };

let outputs: MediaDeviceInfo[];
const output = (deviceId: string, label: string) => ({ deviceId, label, kind: "audiooutput", groupId: "" }) as MediaDeviceInfo;
const devices = new EventTarget() as EventTarget & { enumerateDevices: () => Promise<MediaDeviceInfo[]> };
devices.enumerateDevices = async () => [{ deviceId: "mic", label: "Mic", kind: "audioinput", groupId: "" } as MediaDeviceInfo, ...outputs];
const proto = HTMLMediaElement.prototype as unknown as Record<string, unknown>;

function supportSinks() {
  Object.defineProperty(proto, "sinkId", { configurable: true, get: sinkIdOf });
  proto.setSinkId = async function (this: Sinked, id: string) {
    if (id !== "" && !outputs.some((o) => o.deviceId === id)) throw new DOMException("Requested device not found", "NotFoundError");
    sinks.set(this, id);
  };
}
const sinks = new WeakMap<HTMLMediaElement, string>();
function sinkIdOf(this: HTMLMediaElement) {
  return sinks.get(this) ?? "";
}

const controls = () => (
  <CallControls
    audioMuted={false}
    videoMuted={false}
    sharing={false}
    onToggleAudio={vi.fn()}
    onToggleVideo={vi.fn()}
    onToggleScreen={vi.fn()}
    onHangUp={vi.fn()}
    devices={{ list: async () => [], current: () => undefined, use: vi.fn() }}
  />
);
const settle = () => act(() => new Promise((r) => setTimeout(r, 10)));
const openMenu = async () => {
  fireEvent.click(screen.getByRole("button", { name: "Devices" }));
  await settle();
};
const stream = {} as MediaStream;

beforeEach(() => {
  outputs = [output("default", "Default"), output("hp", "Headphones"), output("spk", "Desk speakers")];
  Object.defineProperty(navigator, "mediaDevices", { configurable: true, value: devices });
});
afterEach(() => {
  delete proto.setSinkId;
  delete proto.sinkId;
  Object.defineProperty(navigator, "mediaDevices", { configurable: true, value: undefined });
  localStorage.clear();
});

describe("speaker choice", () => {
  test("hidden where the browser cannot pick the output (no setSinkId)", async () => {
    render(controls());
    await openMenu();
    expect(screen.getByRole("combobox", { name: "Microphone" })).toBeTruthy();
    expect(screen.queryByRole("combobox", { name: "Speaker" })).toBeNull();
  });

  test("lists the outputs; the choice goes to every remote element (also later ones, not muted ones), is kept for the next call, and the default stands in while the device is gone", async () => {
    supportSinks();
    const view = render(
      <>
        {controls()}
        <VideoView stream={stream} label="Bob video" />
        <VideoView stream={stream} muted label="Your video" />
      </>,
    );
    await openMenu();
    const menu = screen.getByRole("combobox", { name: "Speaker" }) as HTMLSelectElement;
    expect([...menu.options].map((o) => o.text)).toEqual(["System default", "Headphones", "Desk speakers"]);
    expect(menu.value).toBe("");
    fireEvent.change(menu, { target: { value: "hp" } });
    await settle();
    const remote = screen.getByLabelText("Bob video") as Sinked;
    expect(remote.sinkId).toBe("hp");
    expect((screen.getByLabelText("Your video") as Sinked).sinkId).toBe("");
    // A group call's audio element created after the choice.
    const later = document.createElement("audio") as unknown as Sinked;
    const release = playThroughSpeaker(later);
    await settle();
    expect(later.sinkId).toBe("hp");

    // The headphones are unplugged: the default plays; plugged back: the headphones again.
    outputs = outputs.filter((o) => o.deviceId !== "hp");
    await act(async () => void navigator.mediaDevices.dispatchEvent(new Event("devicechange")));
    await settle();
    expect([remote.sinkId, later.sinkId]).toEqual(["", ""]);
    outputs.push(output("hp", "Headphones"));
    await act(async () => void navigator.mediaDevices.dispatchEvent(new Event("devicechange")));
    await settle();
    expect([remote.sinkId, later.sinkId]).toEqual(["hp", "hp"]);
    release();

    // The next call: the menu shows the kept choice and a new element plays through it at once.
    view.unmount();
    render(
      <>
        {controls()}
        <VideoView stream={stream} label="Carol video" />
      </>,
    );
    await openMenu();
    await settle();
    expect((screen.getByRole("combobox", { name: "Speaker" }) as HTMLSelectElement).value).toBe("hp");
    expect((screen.getByLabelText("Carol video") as Sinked).sinkId).toBe("hp");

    // A kept device that is not there when the call starts: the default.
    outputs = outputs.filter((o) => o.deviceId !== "hp");
    render(<VideoView stream={stream} label="Dan video" />);
    await settle();
    expect((screen.getByLabelText("Dan video") as Sinked).sinkId).toBe("");
  });
});
