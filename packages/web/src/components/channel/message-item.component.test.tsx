import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MessageAt } from "../../testing/message-at.tsx";
import { chatFixture, user } from "../../testing/chat-fixture.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Liddell");
const bob = user("u-bob", "bob", "Bob Ross");

const Item = MessageAt;

async function setup() {
  const f = await chatFixture({ me, users: [alice, bob] });
  return { ...f, u: userEvent.setup() };
}

describe("MessageItem", () => {
  test("renders markdown bold, inline code and safe links as elements", async () => {
    const f = await setup();
    f.event({ seq: 1, senderId: alice.id, text: "**bold** and `x < y` see https://example.com/a and [docs](https://docs.example.com)" });
    const { container } = f.render(<Item seq={1} />);
    const msg = await screen.findByRole("article", { name: /^Alice Liddell at / });
    expect(within(msg).getByText("bold").tagName).toBe("STRONG");
    expect(within(msg).getByText("x < y").tagName).toBe("CODE");
    const bare = within(msg).getByRole("link", { name: "https://example.com/a" });
    expect(bare.getAttribute("href")).toBe("https://example.com/a");
    expect(bare.getAttribute("rel")).toContain("noopener");
    expect(within(msg).getByRole("link", { name: "docs" }).getAttribute("href")).toBe("https://docs.example.com/");
    expect(container.querySelector(".msg-body")!.textContent).toContain("x < y");
  });

  test("raw HTML and javascript: links stay text, never markup", async () => {
    const f = await setup();
    const evil = `<img src=x onerror="alert(1)"><script>alert(2)</script> [click](javascript:alert(3)) <b>not bold</b>`;
    f.event({ seq: 1, senderId: alice.id, text: evil });
    const { container } = f.render(<Item seq={1} />);
    const body = (await screen.findByRole("article")).querySelector(".msg-body")!;
    expect(body.querySelector("img, script, b")).toBeNull();
    expect(container.querySelector("[onerror]")).toBeNull();
    expect(screen.queryByRole("link")).toBeNull();
    expect(body.textContent).toContain(`<img src=x onerror="alert(1)">`);
    expect(body.textContent).toContain("<b>not bold</b>");
  });

  test("mentions of known users are highlighted; unknown ones are plain text", async () => {
    const f = await setup();
    f.event({ seq: 1, senderId: alice.id, text: "hey @bob and @nobody" });
    const { container } = f.render(<Item seq={1} />);
    await screen.findByRole("article");
    expect([...container.querySelectorAll(".mention")].map((e) => e.textContent)).toEqual(["@bob"]);
  });

  test("an edit shows the new text marked (edited)", async () => {
    const f = await setup();
    f.event({ seq: 1, senderId: alice.id, text: "first draft" });
    f.render(<Item seq={1} />);
    await screen.findByText("first draft");
    expect(screen.queryByText("(edited)")).toBeNull();
    f.event({ seq: 2, kind: "edit", senderId: alice.id, target: 1, text: "final text" });
    await screen.findByText("final text");
    expect(screen.getByText("(edited)")).toBeTruthy();
    expect(screen.queryByText("first draft")).toBeNull();
  });

  test("a deleted message shows a tombstone without actions", async () => {
    const f = await setup();
    f.event({ seq: 1, senderId: alice.id, text: "oops" });
    f.render(<Item seq={1} />);
    await screen.findByText("oops");
    f.event({ seq: 2, kind: "delete", senderId: alice.id, target: 1 });
    await screen.findByText("This message was deleted.");
    expect(screen.queryByText("oops")).toBeNull();
    expect(screen.queryByRole("toolbar", { name: "Message actions" })).toBeNull();
  });

  test("own messages can be edited and deleted (after confirming); others' cannot", async () => {
    const f = await setup();
    f.event({ seq: 1, senderId: alice.id, text: "theirs" });
    f.event({ seq: 2, senderId: me.id, text: "mine" });
    f.render(
      <>
        <Item seq={1} />
        <Item seq={2} />
      </>,
    );
    const theirs = await screen.findByRole("article", { name: /^Alice Liddell/ });
    expect(within(theirs).queryByRole("button", { name: "Edit message" })).toBeNull();
    expect(within(theirs).queryByRole("button", { name: "Delete message" })).toBeNull();
    const mine = screen.getByRole("article", { name: /^Me Myself/ });
    await f.u.click(within(mine).getByRole("button", { name: "Edit message" }));
    const editor = within(mine).getByRole("textbox", { name: "Edit message" });
    await f.u.clear(editor);
    await f.u.type(editor, "mine, fixed{Enter}");
    await waitFor(() => expect(f.worker.calls("edit")).toEqual([["edit", ["ch-1", 2, "mine, fixed"]]]));
    await f.u.click(within(mine).getByRole("button", { name: "Delete message" }));
    await f.u.click(within(screen.getByRole("alertdialog", { name: "Delete message?" })).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(f.worker.calls("delete")).toEqual([["delete", ["ch-1", 2]]]));
  });

  test("reaction chips count reactors and toggle my reaction on and off", async () => {
    const f = await setup();
    f.event({ seq: 1, senderId: alice.id, text: "ship it" });
    f.event({ seq: 2, kind: "reaction", senderId: bob.id, target: 1, emoji: "👍" });
    f.render(<Item seq={1} />);
    const chip = await screen.findByRole("button", { name: "👍 1, by Bob Ross" });
    expect(chip.getAttribute("aria-pressed")).toBe("false");
    // Not reacted yet: a click adds my reaction.
    await f.u.click(chip);
    await waitFor(() => expect(f.worker.calls("react")).toEqual([["react", ["ch-1", 1, "👍"]]]));
    // The server echoes it back as my event.
    f.event({ seq: 3, kind: "reaction", senderId: me.id, target: 1, emoji: "👍" });
    const mine = await screen.findByRole("button", { name: "👍 2, by Bob Ross, Me Myself" });
    expect(mine.getAttribute("aria-pressed")).toBe("true");
    // Reacted: a click retracts it by deleting my reaction event.
    await f.u.click(mine);
    await waitFor(() => expect(f.worker.calls("delete")).toEqual([["delete", ["ch-1", 3]]]));
    f.event({ seq: 4, kind: "delete", senderId: me.id, target: 3 });
    await screen.findByRole("button", { name: "👍 1, by Bob Ross" });
  });

  test("the reaction picker adds a new emoji", async () => {
    const f = await setup();
    f.event({ seq: 1, senderId: alice.id, text: "lunch?" });
    f.render(<Item seq={1} />);
    await f.u.click(await screen.findByRole("button", { name: "Add reaction" }));
    await f.u.click(screen.getByRole("menuitem", { name: "React with 🎉" }));
    await waitFor(() => expect(f.worker.calls("react")).toEqual([["react", ["ch-1", 1, "🎉"]]]));
    expect(screen.queryByRole("menu")).toBeNull();
  });
});
