import { test } from "node:test";
import assert from "node:assert/strict";
import type { ReceivedEvent } from "@parley/sdk";
import { messageNotice, messagePath, plainLine } from "./message-notice.ts";

const event = (over: Partial<ReceivedEvent>): ReceivedEvent =>
  ({
    kind: "message",
    channelId: "ch_1",
    seq: 7,
    senderId: "usr_o",
    senderDeviceId: "dev_o",
    threadRoot: null,
    target: null,
    mentions: [],
    createdAt: 0,
    clientId: "c",
    content: {},
    text: "hello",
    emoji: undefined,
    own: false,
    raw: {},
    ...over,
  }) as ReceivedEvent;

test("titles name the sender, and the channel unless it is a direct message", () => {
  assert.equal(messageNotice(event({}), "Olivia", { kind: "dm", title: "Olivia" }).title, "Olivia");
  assert.equal(messageNotice(event({}), "Olivia", { kind: "group_dm", title: "Olivia, Sam" }).title, "Olivia in Olivia, Sam");
  assert.equal(messageNotice(event({}), "Olivia", { kind: "public", title: "ops" }).title, "Olivia in #ops");
  assert.equal(messageNotice(event({ threadRoot: 3 }), "Olivia", { kind: "private", title: "ops" }).title, "Olivia replied in #ops");
});

test("the tag and data name the message; a click opens it, in its thread for a reply", () => {
  const n = messageNotice(event({ threadRoot: 3 }), "Olivia", { kind: "public", title: "ops" });
  assert.equal(n.tag, "parley:ch_1:7");
  assert.deepEqual(n.data, { channelId: "ch_1", seq: 7, threadRoot: 3 });
  assert.equal(messagePath("ch_1", 7, 3), "/c/ch_1?thread=3&at=7");
  assert.equal(messagePath("ch 1", 7, null), "/c/ch%201?at=7");
});

test("the body is the text on one line without markdown markers, shortened, or says it is an attachment", () => {
  assert.equal(plainLine("**Deploy** at _five_\n\n> quoted `x`"), "Deploy at five quoted x");
  assert.equal(plainLine("see\n```\nconst a = 1;\n```\nabove"), "see [code] above");
  const long = plainLine("word ".repeat(100));
  assert.equal(long.length, 180);
  assert.ok(long.endsWith("…"));
  assert.equal(messageNotice(event({ text: undefined }), "Olivia", { kind: "dm", title: "" }).body, "Sent an attachment");
});
