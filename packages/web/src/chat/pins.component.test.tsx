import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Pin, UserStreamItem } from "@parley/protocol";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import type { Command } from "../worker/protocol.ts";
import { PinnedButton } from "./pinned-panel.tsx";
import { PinAction } from "./pin-action.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Liddell");
const pin = (seq: number, pinnedBy = alice.id): Pin => ({ channelId: "ch-1", seq, pinnedBy, pinnedAt: 1_700_000_000_000 + seq });
const pinsItem = (seq: number, pinned: boolean): UserStreamItem => ({
  seq: 100 + seq,
  kind: "channel.pins",
  channelId: "ch-1",
  data: { seq, pinned, by: alice.id, at: 1_700_000_100_000 + seq },
  createdAt: 1_700_000_100_000,
});

describe("pins", () => {
  test("the Pinned panel shows pinned messages decrypted from local history, 'Message not available' otherwise, and follows stream items", async () => {
    const f = await chatFixture({ me, users: [alice] });
    f.worker.answers.set("api:listPins", { pins: [pin(2), pin(9)] });
    f.event({ seq: 2, senderId: alice.id, text: "Ship it on Friday" });
    const u = userEvent.setup();
    f.render(<PinnedButton channelId="ch-1" />);
    await u.click(await screen.findByRole("button", { name: "Pinned messages: 2" }));
    const panel = await screen.findByRole("dialog", { name: "Pinned messages" });
    expect(within(panel).getByRole("button", { name: "Jump to pinned message 2" }).textContent).toBe("Ship it on Friday");
    expect(within(panel).getByRole("button", { name: "Jump to pinned message 9" }).textContent).toBe("Message not available");
    expect(within(panel).getAllByText(/pinned by Alice Liddell/)).toHaveLength(2);
    // A pin and an unpin from another member arrive on the user stream.
    f.worker.push({ t: "events", batch: [["user", pinsItem(5, true)]] });
    await waitFor(() => expect(within(panel).getByRole("button", { name: "Jump to pinned message 5" })).toBeTruthy());
    f.worker.push({ t: "events", batch: [["user", pinsItem(2, false)]] });
    await waitFor(() => expect(within(panel).queryByRole("button", { name: "Jump to pinned message 2" })).toBeNull());
    const order = within(panel)
      .getAllByRole("button", { name: /^Jump to pinned message/ })
      .map((b) => b.getAttribute("aria-label"));
    expect(order).toEqual(["Jump to pinned message 5", "Jump to pinned message 9"]);
  });

  test("the message menu pins and unpins through the API, and shows a refusal", async () => {
    const f = await chatFixture({ me, users: [alice] });
    f.worker.answers.set("api:listPins", { pins: [] });
    f.worker.answers.set("api:pinMessage", (cmd: Command) => ({ ...pin(3, me.id), seq: (cmd as { input: { params: { seq: number } } }).input.params.seq }));
    f.worker.answers.set("api:unpinMessage", undefined);
    const u = userEvent.setup();
    f.render(<PinAction channelId="ch-1" seq={3} />);
    await u.click(await screen.findByRole("button", { name: "Pin message" }));
    await screen.findByRole("button", { name: "Unpin message" });
    const sent = f.worker.commands.filter((c) => c.op === "api" && c.route === "pinMessage");
    expect(sent.map((c) => (c as { input: unknown }).input)).toEqual([{ params: { channelId: "ch-1", seq: 3 } }]);
    await u.click(screen.getByRole("button", { name: "Unpin message" }));
    await screen.findByRole("button", { name: "Pin message" });
    f.worker.answers.set("api:pinMessage", new Error("a channel holds at most 100 pins: unpin one first"));
    await u.click(screen.getByRole("button", { name: "Pin message" }));
    expect((await screen.findByRole("alert")).textContent).toContain("at most 100 pins");
    expect(screen.getByRole("button", { name: "Pin message" })).toBeTruthy();
  });
});
