import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { POLL_KEYS, pollContent } from "@parley/sdk";
import type { ReceivedEvent } from "@parley/sdk";
import { MessageAt } from "../testing/message-at.tsx";
import { chatFixture, user } from "../testing/chat-fixture.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Liddell");
const bob = user("u-bob", "bob", "Bob Ross");

const Item = MessageAt;

const lunch = pollContent({ question: "Lunch?", options: ["Pizza", "Sushi", "Salad"], multiple: false });

describe("polls", () => {
  test("a poll message shows its options with votes and voters; voting in a single-choice poll moves my vote", async () => {
    const f = await chatFixture({ me, users: [alice, bob] });
    const u = userEvent.setup();
    f.event({ seq: 1, senderId: alice.id, text: lunch.text as string, content: lunch as ReceivedEvent["content"] });
    f.event({ seq: 2, kind: "reaction", senderId: bob.id, target: 1, emoji: POLL_KEYS[1] });
    f.event({ seq: 3, kind: "reaction", senderId: me.id, target: 1, emoji: POLL_KEYS[0] });
    f.event({ seq: 4, kind: "reaction", senderId: bob.id, target: 1, emoji: "👍" });
    f.render(<Item seq={1} />);
    const poll = await screen.findByRole("region", { name: "Poll: Lunch?" });
    expect(within(poll).getByRole("button", { name: "Pizza: 1 vote, by Me Myself" }).getAttribute("aria-pressed")).toBe("true");
    expect(within(poll).getByRole("button", { name: "Sushi: 1 vote, by Bob Ross" }).getAttribute("aria-pressed")).toBe("false");
    expect(within(poll).getByRole("button", { name: "Salad: 0 votes" })).toBeTruthy();
    expect(within(poll).getByText(/2 voters · pick one/)).toBeTruthy();
    // The votes are not repeated as reaction chips; other reactions are.
    const chips = within(screen.getByRole("group", { name: "Reactions" })).getAllByRole("button");
    expect(chips.map((c) => c.textContent)).toEqual(["👍 1"]);
    // The text fallback (for clients without polls) is not shown, nor may the poll be edited.
    expect(screen.queryByText(/react with the number/)).toBeNull();
    expect(screen.queryByRole("button", { name: "Edit message" })).toBeNull();

    // Voting for Sushi retracts my Pizza reaction (seq 3) and reacts with Sushi's key.
    await u.click(within(poll).getByRole("button", { name: /^Sushi/ }));
    await waitFor(() => expect(f.worker.calls("react")).toEqual([["react", ["ch-1", 1, POLL_KEYS[1]]]]));
    expect(f.worker.calls("delete")).toEqual([["delete", ["ch-1", 3]]]);
    f.event({ seq: 5, kind: "delete", senderId: me.id, target: 3 });
    f.event({ seq: 6, kind: "reaction", senderId: me.id, target: 1, emoji: POLL_KEYS[1] });
    await within(poll).findByRole("button", { name: "Sushi: 2 votes, by Bob Ross, Me Myself" });
    expect(within(poll).getByRole("button", { name: "Pizza: 0 votes" })).toBeTruthy();
  });

  test("/poll in the composer sends a poll; a malformed one is refused with what to fix and nothing is sent", async () => {
    const f = await chatFixture({ me, users: [alice] });
    await f.chat.send("ch-1", "/poll --multiple Lunch? | Pizza | Sushi");
    await f.chat.send("ch-1", "/pollster is not a command");
    const sends = f.worker.calls("send").map(([, args]) => args[1] as Record<string, unknown>);
    expect(sends[0]).toEqual({ kind: "message", threadRoot: null, ...pollContent({ question: "Lunch?", options: ["Pizza", "Sushi"], multiple: true }) });
    expect(sends[1]).toMatchObject({ kind: "message", text: "/pollster is not a command" });
    await expect(f.chat.send("ch-1", "/poll Lunch?")).rejects.toThrow(/at least two options/);
    expect(f.worker.calls("send")).toHaveLength(2);
  });
});
