import { describe, expect, test, vi } from "vitest";
import { act, fireEvent, render, screen } from "@testing-library/react";
import type { Call } from "@parley/protocol";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { CallStore } from "./call-store.ts";
import { CallContext } from "./use-calls.ts";
import { CallLayer } from "./call-layer.tsx";
import { CallHeader } from "./call-header.tsx";
import { CallControls } from "./call-controls.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Owner");
const carol = user("u-carol", "carol", "Carol Member");

async function setup(channel: { kind: "dm" | "public" | "group_dm" } = { kind: "dm" }) {
  const dmUserIds = channel.kind === "public" ? undefined : channel.kind === "group_dm" ? [me.id, alice.id, carol.id] : [me.id, alice.id];
  const f = await chatFixture({ me, users: [alice, carol], channel: { ...channel, dmUserIds } });
  const calls = new CallStore(f.chat);
  calls.start();
  const ui = (
    <CallContext.Provider value={calls}>
      <CallHeader channel={f.chat.channel("ch-1")!} />
      <CallLayer channelId="ch-1" />
    </CallContext.Provider>
  );
  f.render(ui);
  const push = (event: "ringing" | "state" | "ended", payload: unknown) => act(() => f.worker.push({ t: "call", event, payload }));
  const sent = (method: string) => f.worker.commands.flatMap((c) => (c.op === "calls" && c.method === method ? [c.args] : []));
  return { f, calls, push, sent };
}

const ring = (callId: string) => ({ callId, channelId: "ch-1", kind: "p2p", fromUserId: alice.id, fromDeviceId: "dev-alice", startedAt: 1, expiresAt: 45_001 });

function call(id: string, people: number): Call {
  const participants = Array.from({ length: people }, (_, i) => ({
    userId: `u-${i}`,
    deviceId: `d-${i}`,
    joinedAt: 1,
    audioMuted: false,
    videoMuted: false,
    screenSharing: false,
    handRaised: false,
    recording: false,
  }));
  return { id, channelId: "ch-1", kind: "sfu", startedBy: "u-0", startedAt: 1, endedAt: null, endReason: null, participants };
}

describe("calls", () => {
  test("an incoming call shows who calls; Decline refuses it through the worker and closes the dialog", async () => {
    const { push, sent } = await setup();
    expect(screen.getByRole("button", { name: "Start call" })).toBeTruthy();
    await push("ringing", ring("call-1"));
    const dialog = screen.getByRole("alertdialog", { name: "Alice Owner" });
    expect(dialog.textContent).toContain("end-to-end encrypted");
    fireEvent.click(screen.getByRole("button", { name: "Decline" }));
    await act(() => new Promise((r) => setTimeout(r, 10)));
    expect(sent("decline")).toEqual([["call-1"]]);
    expect(screen.queryByRole("alertdialog")).toBeNull();
  });

  test("a second call while one rings is refused as busy; the caller hanging up stops the ring", async () => {
    const { push, sent } = await setup();
    await push("ringing", ring("call-1"));
    await push("ringing", ring("call-2"));
    await act(() => new Promise((r) => setTimeout(r, 10)));
    expect(sent("decline")).toEqual([["call-2", { busy: true }]]);
    await push("ended", { callId: "call-1", channelId: "ch-1", reason: "cancelled", endedAt: 2 });
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(sent("accept")).toEqual([]);
  });

  test("a channel's header starts its call; its ongoing call shows there, with Join, until it ends", async () => {
    const { push } = await setup({ kind: "public" });
    expect(screen.getByRole("button", { name: "Start call" }).getAttribute("title")).toContain("in this channel");
    await push("state", { call: call("call-9", 3), change: { kind: "joined", userId: "u-2", deviceId: "d-2" } });
    const bar = screen.getByRole("status", { name: "Call in this conversation" });
    expect(bar.querySelector("span")?.textContent).toBe("Call in progress · 3 people");
    expect(screen.getByRole("button", { name: "Join call" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Start call" })).toBeNull();
    await push("ended", { callId: "call-9", channelId: "ch-1", reason: "hangup", endedAt: 2 });
    expect(screen.queryByRole("status", { name: "Call in this conversation" })).toBeNull();
  });

  test("a group DM's header has Call (its call rings the others) and Join call while one runs; its ring is answered into the group call", async () => {
    const { push } = await setup({ kind: "group_dm" });
    expect(screen.getByRole("button", { name: "Start call" }).getAttribute("title")).toBe("Call everyone in this conversation (end-to-end encrypted)");
    await push("ringing", { ...ring("call-7"), kind: "sfu" });
    const dialog = screen.getByRole("alertdialog", { name: "Alice Owner" });
    expect(dialog.textContent).toContain("Group call with Carol Member · Incoming call");
    await push("state", { call: call("call-7", 2), change: { kind: "joined", userId: "u-1", deviceId: "d-1" } });
    expect(screen.getByRole("button", { name: "Join call" })).toBeTruthy();
    await push("ended", { callId: "call-7", channelId: "ch-1", reason: "hangup", endedAt: 2 });
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(screen.getByRole("button", { name: "Start call" })).toBeTruthy();
  });
});

describe("CallControls", () => {
  test("buttons say what they do next and show what is on", () => {
    const on = { audio: vi.fn(), video: vi.fn(), screen: vi.fn(), hangUp: vi.fn() };
    const props = { onToggleAudio: on.audio, onToggleVideo: on.video, onToggleScreen: on.screen, onHangUp: on.hangUp };
    const { rerender } = render(<CallControls audioMuted={false} videoMuted={false} sharing={false} {...props} />);
    fireEvent.click(screen.getByRole("button", { name: "Mute" }));
    fireEvent.click(screen.getByRole("button", { name: "Share screen" }));
    fireEvent.click(screen.getByRole("button", { name: "Hang up" }));
    expect([on.audio.mock.calls.length, on.screen.mock.calls.length, on.hangUp.mock.calls.length]).toEqual([1, 1, 1]);
    rerender(<CallControls audioMuted={true} videoMuted={true} sharing={true} {...props} />);
    expect(screen.getByRole("button", { name: "Unmute" }).getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByRole("button", { name: "Camera on" }).getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByRole("button", { name: "Stop sharing" }).getAttribute("aria-pressed")).toBe("true");
    expect(screen.queryByRole("button", { name: "Devices" })).toBeNull();
  });
});
