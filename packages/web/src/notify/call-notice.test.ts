import { test } from "node:test";
import assert from "node:assert/strict";
import { callEventContent, type CallEventContent, type ReceivedEvent } from "@parley/sdk";
import { callEventNotifies, callMessageNotice, callTag, missedNotice, ringNotice } from "./call-notice.ts";

const event = (info: CallEventContent, over: Partial<ReceivedEvent> = {}): ReceivedEvent =>
  ({
    kind: "message",
    channelId: "ch_1",
    seq: 7,
    senderId: "usr_bob",
    createdAt: 1_000,
    content: callEventContent(info),
    own: false,
    ...over,
  }) as ReceivedEvent;
const names: Record<string, string> = { usr_alice: "Alice", usr_bob: "Bob" };
const name = (id: string) => names[id] ?? "?";

test("a ring and the missed call that follows it share the call's tag, so one replaces the other", () => {
  const ring = ringNotice({ callId: "cal_1", channelId: "ch_1" }, "Alice", { kind: "dm", title: "Alice" });
  const missed = missedNotice({ callId: "cal_1", channelId: "ch_1" }, "Alice", { kind: "dm", title: "Alice" });
  assert.deepEqual([ring.title, ring.body, ring.tag], ["Alice", "Incoming call", callTag("cal_1")]);
  assert.deepEqual([missed.title, missed.body, missed.tag], ["Alice", "Missed call", callTag("cal_1")]);
  assert.equal(ringNotice({ callId: "c", channelId: "ch_1" }, "Alice", { kind: "group_dm", title: "Alice, Bob" }).title, "Alice in Alice, Bob");
});

test("a pushed call event names who called, not the device that posted it; fresh starts and missed calls notify, ends do not", () => {
  const missed = callMessageNotice(event({ event: "missed", callId: "cal_1", kind: "p2p", reason: "missed", startedBy: "usr_alice" }), name, {
    kind: "dm",
    title: "",
  });
  assert.deepEqual(missed, { title: "Alice", body: "Missed call", tag: callTag("cal_1"), data: { channelId: "ch_1", seq: 7, threadRoot: null } });
  const start = { event: "started", callId: "cal_2", kind: "p2p", startedBy: "usr_alice" } as const;
  assert.equal(callMessageNotice(event(start), name, { kind: "dm", title: "" })?.body, "Incoming call");
  assert.equal(callMessageNotice(event({ ...start, kind: "sfu" }), name, { kind: "public", title: "ops" })?.title, "Alice in #ops");
  assert.equal(callMessageNotice(event({ ...start, kind: "sfu" }), name, { kind: "public", title: "ops" })?.body, "Started a call");
  assert.equal(callEventNotifies(start, 1_000, 30_000), true);
  assert.equal(callEventNotifies(start, 1_000, 120_000), false, "a stale start no longer rings");
  assert.equal(callEventNotifies({ event: "ended", callId: "c", kind: "p2p", durationMs: 5 }, 1_000, 2_000), false);
  assert.equal(callEventNotifies({ event: "missed", callId: "c", kind: "p2p", reason: "cancelled" }, 1_000, 999_000), true);
  assert.equal(callEventNotifies({ event: "missed", callId: "c", kind: "p2p", reason: "declined" }, 1_000, 2_000), false);
  // Not a call event: the message notice applies.
  assert.equal(callMessageNotice({ ...event(start), content: { text: "hi" } } as ReceivedEvent, name, { kind: "dm", title: "" }), undefined);
});
