import { describe, expect, test } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReceivedEvent } from "@parley/sdk";
import { chatFixture, user } from "../../testing/chat-fixture.tsx";
import { useChat } from "../../client/use-chat.ts";
import { MessageItem } from "./message-item.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Liddell");
const bob = user("u-bob", "bob", "Bob Ross");

function Item(props: { seq: number }) {
  const chat = useChat();
  const m = chat.history("ch-1").get(props.seq);
  return m ? <MessageItem channelId="ch-1" m={m} showHeader /> : null;
}

describe("show edits", () => {
  test("clicking (edited) lists every version oldest first with its time; an undecryptable one says so; others' edits are not versions", async () => {
    const f = await chatFixture({ me, users: [alice, bob] });
    f.event({ seq: 1, senderId: alice.id, text: "first draft" });
    f.event({ seq: 2, kind: "edit", senderId: alice.id, target: 1, text: "second **try**" });
    f.event({ seq: 3, kind: "edit", senderId: alice.id, target: 1, content: { decodeError: "no key for this epoch" } as ReceivedEvent["content"] });
    // Not the author's: the timeline ignores it, and so does the history.
    f.event({ seq: 4, kind: "edit", senderId: bob.id, target: 1, text: "bob's forgery" });
    f.event({ seq: 5, kind: "edit", senderId: alice.id, target: 1, text: "final text" });
    f.render(<Item seq={1} />);
    await screen.findByText("final text");
    await userEvent.setup().click(screen.getByRole("button", { name: "(edited)" }));
    const dialog = await screen.findByRole("dialog", { name: "Edit history" });
    const items = within(within(dialog).getByRole("list", { name: "Versions, oldest first" })).getAllByRole("listitem");
    expect(items.map((li) => li.getAttribute("aria-label"))).toEqual(["Original", "Edit 1", "Edit 2", "Edit 3"]);
    expect(items[0]!.textContent).toContain("first draft");
    expect(within(items[1]!).getByText("try").tagName).toBe("STRONG");
    expect(items[2]!.textContent).toContain("This version cannot be decrypted on this device.");
    expect(items[3]!.textContent).toContain("final text");
    expect(items[3]!.textContent).toContain("current");
    expect(dialog.textContent).not.toContain("forgery");
    // Each version shows when it was written (the fixture writes seq n at n minutes past the org's creation).
    const times = items.map((li) => li.querySelector("time")!.getAttribute("dateTime"));
    expect(times).toEqual([1, 2, 3, 5].map((n) => new Date(Date.parse(times[0]!) + (n - 1) * 60_000).toISOString()));
  });
});
