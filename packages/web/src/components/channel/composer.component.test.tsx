import { describe, expect, test } from "vitest";
import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { chatFixture, user } from "../../testing/chat-fixture.tsx";
import { Composer } from "./composer.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Liddell");
const alan = user("u-alan", "alan", "Alan Turing");
const bob = user("u-bob", "bob", "Bob Ross");
const gone = user("u-gone", "alfred", "Alfred Gone", { deactivated: true });

/** The composer places the caret after an inserted mention on the next frame. */
const nextFrame = () => act(() => new Promise<void>((r) => requestAnimationFrame(() => r())));

async function setup() {
  const f = await chatFixture({ me, users: [alice, alan, bob, gone] });
  f.render(<Composer channelId="ch-1" threadRoot={null} placeholder="Message #general" />);
  return { ...f, box: screen.getByRole("textbox", { name: "Message #general" }) as HTMLTextAreaElement, u: userEvent.setup() };
}

describe("Composer", () => {
  test("Enter sends the trimmed text and clears the box", async () => {
    const { worker, box, u } = await setup();
    await u.type(box, "  hello **world**  {Enter}");
    await waitFor(() => expect(worker.calls("send")).toHaveLength(1));
    expect(worker.calls("send")[0]![1]).toEqual(["ch-1", { kind: "message", text: "hello **world**", threadRoot: null, mentions: [] }]);
    expect(box.value).toBe("");
  });

  test("Shift+Enter adds a line instead of sending; Enter then sends both lines", async () => {
    const { worker, box, u } = await setup();
    await u.type(box, "line one{Shift>}{Enter}{/Shift}line two");
    expect(box.value).toBe("line one\nline two");
    expect(worker.calls("send")).toHaveLength(0);
    await u.keyboard("{Enter}");
    await waitFor(() => expect(worker.calls("send")).toHaveLength(1));
    expect((worker.calls("send")[0]![1][1] as { text: string }).text).toBe("line one\nline two");
  });

  test("Enter on a blank box sends nothing", async () => {
    const { worker, box, u } = await setup();
    await u.type(box, "   {Enter}");
    expect(worker.calls("send")).toHaveLength(0);
  });

  test("@ opens mention autocomplete of active members other than me, filtered as I type", async () => {
    const { box, u } = await setup();
    await u.type(box, "hi @");
    const list = screen.getByRole("listbox", { name: "Mention someone" });
    const names = screen.getAllByRole("option").map((o) => o.textContent);
    expect(names).toEqual(["Alice Liddell @alice", "Alan Turing @alan", "Bob Ross @bob"]);
    expect(list).toBeTruthy();
    await u.type(box, "al");
    expect(screen.getAllByRole("option").map((o) => o.textContent)).toEqual(["Alice Liddell @alice", "Alan Turing @alan"]);
  });

  test("clicking a suggestion inserts the mention; sending lists the mentioned user", async () => {
    const { worker, box, u } = await setup();
    await u.type(box, "ping @bo");
    await u.click(screen.getByRole("option", { name: /Bob Ross/ }));
    expect(box.value).toBe("ping @bob ");
    expect(screen.queryByRole("listbox")).toBeNull();
    await nextFrame();
    expect(box.selectionStart).toBe("ping @bob ".length);
    await u.type(box, "please{Enter}", { skipClick: true });
    await waitFor(() => expect(worker.calls("send")).toHaveLength(1));
    expect(worker.calls("send")[0]![1][1]).toMatchObject({ text: "ping @bob please", mentions: ["u-bob"] });
  });

  test("arrow keys move the pick and Enter inserts it instead of sending", async () => {
    const { worker, box, u } = await setup();
    await u.type(box, "@al");
    expect(screen.getByRole("option", { selected: true }).textContent).toContain("Alice");
    await u.keyboard("{ArrowDown}");
    expect(screen.getByRole("option", { selected: true }).textContent).toContain("Alan");
    await u.keyboard("{Enter}");
    expect(box.value).toBe("@alan ");
    expect(worker.calls("send")).toHaveLength(0);
  });

  test("Esc closes the suggestions and Enter then sends", async () => {
    const { worker, box, u } = await setup();
    await u.type(box, "@al");
    await u.keyboard("{Escape}");
    expect(screen.queryByRole("listbox")).toBeNull();
    await u.keyboard("{Enter}");
    await waitFor(() => expect(worker.calls("send")).toHaveLength(1));
  });
});
