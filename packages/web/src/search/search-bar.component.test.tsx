import { describe, expect, test, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReceivedEvent } from "@parley/sdk";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { SearchBar, type SearchHighlight } from "./search-bar.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Liddell");

async function setup(firstSeq = 1) {
  const f = await chatFixture({ me, users: [alice] });
  const texts = ["Deploy the café build", "lunch at noon?", "the deploy failed", "retrying DEPLOY now", "secret deploy plan"];
  texts.forEach((text, i) => f.event({ seq: firstSeq + i, senderId: i % 2 ? me.id : alice.id, text }));
  // The last one is deleted: search never finds deleted messages.
  f.event({ seq: firstSeq + texts.length, kind: "delete", senderId: me.id, target: firstSeq + texts.length - 1 });
  const highlights: Array<SearchHighlight | undefined> = [];
  const onClose = vi.fn();
  f.render(<SearchBar channelId="ch-1" onClose={onClose} onHighlight={(h) => highlights.push(h)} />);
  const box = screen.getByRole("searchbox", { name: "Find in this channel" });
  return { ...f, box, onClose, u: userEvent.setup(), last: () => highlights.at(-1) };
}

describe("SearchBar", () => {
  test("is focused on open and finds loaded messages, case- and accent-insensitively", async () => {
    const f = await setup();
    expect(document.activeElement).toBe(f.box);
    await f.u.type(f.box, "deploy");
    const status = screen.getByRole("status");
    expect(status.textContent).toBe("1 of 3");
    expect([...f.last()!.hits]).toEqual([1, 3, 4]);
    // Newest first.
    expect(f.last()!.current).toBe(4);
    await f.u.clear(f.box);
    await f.u.type(f.box, "CAFE build");
    expect(status.textContent).toBe("1 of 1");
    expect(f.last()!.current).toBe(1);
  });

  test("Enter and the buttons step to older results, Shift+Enter to newer, wrapping around", async () => {
    const f = await setup();
    await f.u.type(f.box, "deploy");
    const status = screen.getByRole("status");
    await f.u.keyboard("{Enter}");
    expect([status.textContent, f.last()!.current]).toEqual(["2 of 3", 3]);
    await f.u.click(screen.getByRole("button", { name: "Older result" }));
    expect([status.textContent, f.last()!.current]).toEqual(["3 of 3", 1]);
    await f.u.click(screen.getByRole("button", { name: "Older result" }));
    expect([status.textContent, f.last()!.current]).toEqual(["1 of 3", 4]);
    await f.u.click(screen.getByRole("button", { name: "Newer result" }));
    expect([status.textContent, f.last()!.current]).toEqual(["3 of 3", 1]);
    f.box.focus();
    await f.u.keyboard("{Shift>}{Enter}{/Shift}");
    expect([status.textContent, f.last()!.current]).toEqual(["2 of 3", 3]);
  });

  test("no match says so and disables stepping; Esc closes", async () => {
    const f = await setup();
    await f.u.type(f.box, "plan");
    expect(screen.getByRole("status").textContent).toBe("No results");
    expect(f.last()!.hits.size).toBe(0);
    expect((screen.getByRole("button", { name: "Older result" }) as HTMLButtonElement).disabled).toBe(true);
    await f.u.keyboard("{Escape}");
    expect(f.onClose).toHaveBeenCalledOnce();
  });

  test("messages arriving while searching are found; older history can be loaded into the search", async () => {
    const f = await setup(11);
    const older: ReceivedEvent[] = [];
    f.worker.answers.set("older", () => ({ events: older, hasMore: false }));
    await f.u.type(f.box, "deploy");
    expect(screen.getByRole("status").textContent).toBe("1 of 3");
    f.event({ seq: 17, senderId: alice.id, text: "deploy done" });
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("1 of 4"));
    expect(f.last()!.current).toBe(17);
    // Seq 11 is the oldest held: the server has more. Page them in (the worker decodes them).
    older.push({ ...f.chat.history("ch-1").event(11)!, seq: 2, clientId: "old", text: "first deploy ever" });
    await f.u.click(screen.getByRole("button", { name: "Load older messages" }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("1 of 5"));
    expect([...f.last()!.hits]).toEqual([2, 11, 13, 14, 17]);
    expect(f.worker.commands.find((c) => c.op === "older")).toMatchObject({ channelId: "ch-1", before: 11 });
    expect(screen.queryByRole("button", { name: "Load older messages" })).toBeNull();
  });
});
