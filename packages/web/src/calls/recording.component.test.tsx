import { describe, expect, test } from "vitest";
import { act, fireEvent, render, screen } from "@testing-library/react";
import type { Call } from "@parley/protocol";
import { ParleyError } from "@parley/sdk";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { CallStore, type ActiveCall } from "./call-store.ts";
import { RecordButton, RecordingIndicator } from "./recording-controls.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Owner");
const settle = () => act(() => new Promise((r) => setTimeout(r, 20)));

/** A call store whose call is in progress (media is not touched unless recording starts). */
async function setup(policy: { recordingAllowed: boolean }, record: (args: unknown[]) => unknown = () => ({})) {
  const f = await chatFixture({ me, users: [alice], channel: { kind: "dm", dmUserIds: [me.id, alice.id] } });
  f.worker.answers.set("api:getCallPolicy", policy);
  f.worker.answers.set("calls", (c: { method: string; args: unknown[] }) => (c.method === "record" ? record(c.args) : []));
  const calls = new CallStore(f.chat);
  calls.active = { channelId: "ch-1", callId: "call-1", outgoing: true, phase: "connected", call: undefined, media: {} } as unknown as ActiveCall;
  f.render(<RecordButton calls={calls} />);
  await settle();
  const sent = () => f.worker.commands.flatMap((c) => (c.op === "calls" && c.method === "record" ? [c.args] : []));
  return { sent };
}

describe("call recording", () => {
  test("no Record button where the org does not allow recording", async () => {
    await setup({ recordingAllowed: false });
    expect(screen.queryByRole("button", { name: "Record" })).toBeNull();
  });

  test("a refusal from the server records nothing and says why", async () => {
    const { sent } = await setup({ recordingAllowed: true }, () => new ParleyError({ code: "call_recording_not_allowed", message: "not allowed" }));
    fireEvent.click(screen.getByRole("button", { name: "Record" }));
    await settle();
    expect(sent()[0]).toEqual(["call-1", true]);
    expect(screen.getByRole("alert").textContent).toContain("Recording did not start");
    expect(screen.getByRole("button", { name: "Record" }).getAttribute("aria-pressed")).toBe("false");
  });

  test("everyone sees who records", () => {
    const participant = (userId: string, recording: boolean) => ({
      userId,
      deviceId: `d-${userId}`,
      joinedAt: 1,
      audioMuted: false,
      videoMuted: false,
      screenSharing: false,
      handRaised: false,
      recording,
    });
    const call: Call = {
      id: "call-1",
      channelId: "ch-1",
      kind: "p2p",
      startedBy: alice.id,
      startedAt: 1,
      endedAt: null,
      endReason: null,
      participants: [participant(alice.id, true), participant(me.id, false)],
    };
    const names: Record<string, string> = { [alice.id]: "Alice Owner", [me.id]: "Me Myself" };
    const { rerender } = render(<RecordingIndicator call={call} userName={(id) => names[id]!} />);
    expect(screen.getByTestId("call-recording").textContent).toContain("Recording — Alice Owner");
    rerender(<RecordingIndicator call={{ ...call, participants: [participant(alice.id, false)] }} userName={(id) => names[id]!} />);
    expect(screen.queryByTestId("call-recording")).toBeNull();
  });
});
