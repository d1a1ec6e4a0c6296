import { describe, expect, test } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import { chatFixture, user } from "../../testing/chat-fixture.tsx";
import { MessageList } from "./message-list.tsx";

const me = user("u-me", "me", "Me Myself");
const bob = user("u-bob", "bob", "Bob Builder");
const MARKER = "Older messages were removed by your organisation's retention policy.";

describe("retention in the open channel", () => {
  test("when the device purges, the messages below the floor leave the open channel and a marker takes the top", async () => {
    const f = await chatFixture({ me, users: [bob] });
    f.render(<MessageList channelId="ch-1" title="#general" onOpenThread={() => {}} />);
    for (const [seq, text] of [
      [1, "one"],
      [2, "two"],
      [3, "three"],
      [4, "four"],
    ] as const)
      f.event({ seq, text, senderId: bob.id });
    const h = f.chat.history("ch-1");
    await waitFor(() => expect(h.messages().map((m) => m.text)).toEqual(["one", "two", "three", "four"]));
    await screen.findByText("This is the beginning of #general.");

    f.worker.push({ t: "events", batch: [["channel.purged", { channelId: "ch-1", floor: 3 }]] });
    await screen.findByText(MARKER);
    expect(h.messages().map((m) => m.text)).toEqual(["three", "four"]);
    expect(f.chat.channel("ch-1")?.retentionFloor).toBe(3);
    // A late copy of a removed message is not shown again.
    f.event({ seq: 2, text: "two", senderId: bob.id });
    await new Promise((r) => setTimeout(r, 30));
    expect(h.messages().map((m) => m.text)).toEqual(["three", "four"]);
  });

  test("a channel whose floor was applied before (a reload) shows the marker at its top", async () => {
    const f = await chatFixture({ me, users: [bob], channel: { retentionFloor: 7, lastSeq: 9 } });
    f.render(<MessageList channelId="ch-1" title="#general" onOpenThread={() => {}} />);
    await screen.findByText(MARKER);
    expect(f.chat.history("ch-1").retentionFloor).toBe(7);
  });
});
