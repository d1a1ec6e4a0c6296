import { describe, expect, test } from "vitest";
import { act, fireEvent, screen } from "@testing-library/react";
import { callEventContent, type CallEventContent, type ReceivedEvent } from "@parley/sdk";
import type { Call } from "@parley/protocol";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { MessageAt } from "../testing/message-at.tsx";
import { CallStore } from "./call-store.ts";
import { CallContext } from "./use-calls.ts";
import { callEventLine } from "./call-event-row.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Owner");
const bob = user("u-bob", "bob", "Bob Ross");

/** A DM with Alice, its call store started, and call events `infos` at seq 1, 2, …. */
async function setup(infos: CallEventContent[], poster = alice.id) {
  const f = await chatFixture({ me, users: [alice, bob], channel: { kind: "dm", name: "", dmUserIds: [me.id, alice.id] } });
  const calls = new CallStore(f.chat);
  calls.start();
  infos.forEach((info, i) => {
    const content = callEventContent(info);
    f.event({ seq: i + 1, senderId: poster, text: content.text as string, content: content as ReceivedEvent["content"] });
  });
  f.render(
    <CallContext.Provider value={calls}>
      {infos.map((_, i) => (
        <MessageAt key={i} seq={i + 1} />
      ))}
    </CallContext.Provider>,
  );
  const push = (event: "ringing" | "state" | "ended", payload: unknown) => act(() => f.worker.push({ t: "call", event, payload }));
  const sent = (method: string) => f.worker.commands.flatMap((c) => (c.op === "calls" && c.method === method ? [c.args] : []));
  return { f, calls, push, sent };
}

const started: CallEventContent = { event: "started", callId: "cal-1", kind: "p2p", startedBy: alice.id, startedAt: 1 };
const ongoing = (id: string): Call => ({
  id,
  channelId: "ch-1",
  kind: "p2p",
  startedBy: alice.id,
  startedAt: 1,
  endedAt: null,
  endReason: null,
  participants: [
    { userId: alice.id, deviceId: "dev-alice", joinedAt: 1, audioMuted: false, videoMuted: false, screenSharing: false, handRaised: false, recording: false },
  ],
});

describe("call events in the timeline", () => {
  test("a started call rings here: a system row with Join, which answers it; without the ring, no Join", async () => {
    const { push, sent, calls } = await setup([started]);
    const row = screen.getByRole("article", { name: /^Alice Owner started a call at/ });
    // A system row: no sender header, no message actions, and not the text fallback.
    expect(row.querySelector(".msg-head")).toBeNull();
    expect(row.querySelector("[role=toolbar]")).toBeNull();
    expect(row.textContent).not.toContain("📞 Call started");
    expect(screen.queryByRole("button", { name: "Join" })).toBeNull();
    await push("state", { call: ongoing("cal-1"), change: { kind: "started", userId: alice.id, deviceId: "dev-alice" } });
    expect(row.textContent).toContain("in progress");
    await push("ringing", {
      callId: "cal-1",
      channelId: "ch-1",
      kind: "p2p",
      fromUserId: alice.id,
      fromDeviceId: "dev-alice",
      startedAt: 1,
      expiresAt: 45_001,
    });
    fireEvent.click(screen.getByRole("button", { name: "Join" }));
    await act(() => new Promise((r) => setTimeout(r, 20)));
    // Join answers the ring: jsdom has no microphone, so the answer is the store's refusal of the ring.
    expect(calls.notice).toMatch(/Cannot use the microphone/);
    expect(sent("decline")).toEqual([["cal-1"]]);
    expect(screen.queryByRole("button", { name: "Join" })).toBeNull();
    await push("ended", { callId: "cal-1", channelId: "ch-1", reason: "declined", endedAt: 5 });
    expect(row.textContent).not.toContain("in progress");
  });

  test("an ended call says how long and who took part; a missed one offers Call back, which calls", async () => {
    const { sent, calls } = await setup(
      [
        {
          event: "ended",
          callId: "cal-1",
          kind: "p2p",
          reason: "hangup",
          durationMs: 4 * 60_000 + 10_000,
          startedBy: alice.id,
          participants: [alice.id, me.id],
        },
        { event: "missed", callId: "cal-2", kind: "p2p", reason: "missed", startedBy: alice.id },
      ],
      me.id, // posted by this user's device: the words follow the content, not the poster
    );
    expect(screen.getByRole("article", { name: /^Call ended · 4 min · Alice Owner, Me Myself at/ })).toBeTruthy();
    const missed = screen.getByRole("article", { name: /^Missed call from Alice Owner at/ });
    expect(missed.className).toContain("call-event-missed");
    expect(screen.getAllByRole("button").map((b) => b.textContent)).toEqual(["Call back"]);
    fireEvent.click(screen.getByRole("button", { name: "Call back" }));
    await act(() => new Promise((r) => setTimeout(r, 20)));
    // The call store took the click: it opens the microphone first (none in jsdom), so nothing is sent.
    expect(calls.notice).toMatch(/Cannot use the microphone/);
    expect(sent("start")).toEqual([]);
  });

  test("the words from each side", () => {
    const name = (id: string) => ({ [alice.id]: "Alice", [bob.id]: "Bob", [me.id]: "Me" })[id] ?? "?";
    const line = (c: Omit<CallEventContent, "callId" | "kind">) => callEventLine({ callId: "c", kind: "p2p", ...c }, name, me.id, bob.id);
    expect(line({ event: "started", startedBy: me.id })).toBe("You started a call");
    expect(line({ event: "started" })).toBe("Bob started a call"); // an old event without startedBy: its poster
    expect(line({ event: "ended", durationMs: 42_000, participants: [alice.id, bob.id] })).toBe("Call ended · 42 s · Alice, Bob");
    expect(line({ event: "ended", durationMs: 65 * 60_000, participants: [] })).toBe("Call ended · 1 h 5 min");
    expect(line({ event: "missed", reason: "missed", startedBy: alice.id })).toBe("Missed call from Alice");
    expect(line({ event: "missed", reason: "cancelled", startedBy: alice.id })).toBe("Missed call from Alice");
    expect(line({ event: "missed", reason: "missed", startedBy: me.id })).toBe("Call not answered");
    expect(line({ event: "missed", reason: "declined", startedBy: me.id })).toBe("Call declined");
    expect(line({ event: "missed", reason: "declined", startedBy: alice.id })).toBe("You declined a call from Alice");
  });
});
