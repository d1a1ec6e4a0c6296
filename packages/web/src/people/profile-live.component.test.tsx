import { describe, expect, test } from "vitest";
import { screen, within } from "@testing-library/react";
import { MessageAt } from "../testing/message-at.tsx";
import { chatFixture, user } from "../testing/chat-fixture.tsx";

const me = user("u-me", "me", "Me Myself", { email: "me@example.com" });
const alice = user("u-alice", "alice", "Alice Liddell", { email: "alice@example.com" });

describe("live profiles", () => {
  test("another user's new name and status show at once from the org's profile frame; the email an admin saw stays", async () => {
    const f = await chatFixture({ me, users: [alice] });
    f.event({ seq: 1, senderId: alice.id, text: "hello" });
    f.render(<MessageAt seq={1} />);
    const msg = await screen.findByRole("article", { name: /^Alice Liddell at / });
    expect(within(msg).queryByLabelText(/^status:/)).toBeNull();
    const { email: _email, ...publicView } = { ...alice, displayName: "Alice L.", statusText: "on leave", statusEmoji: "🌴" };
    f.worker.push({ t: "events", batch: [["profile", publicView]] });
    const renamed = await screen.findByRole("article", { name: /^Alice L\. at / });
    expect(within(renamed).getByLabelText("status: 🌴 on leave")).toBeTruthy();
    expect(f.chat.users.get(alice.id)?.email).toBe("alice@example.com");
  });
});
