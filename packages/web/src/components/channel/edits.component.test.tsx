import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { chatFixture, user } from "../../testing/chat-fixture.tsx";
import { useChat } from "../../client/use-chat.ts";
import { MessageItem } from "./message-item.tsx";
import { ParleyError, type ReceivedEvent } from "@parley/sdk";
import { EditPolicySection } from "../../admin/edit-policy-section.tsx";

const me = user("u-me", "me", "Me Myself", { role: "admin" });

function Item(props: { seq: number }) {
  const chat = useChat();
  const m = chat.history("ch-1").get(props.seq);
  return m ? <MessageItem channelId="ch-1" m={m} showHeader /> : null;
}

describe("edit window and edit history", () => {
  test("'Edit' is inert past the org's window, its title saying why; a recent message still opens the editor", async () => {
    const f = await chatFixture({ me, users: [] });
    f.worker.answers.set("api:getEditPolicy", { enabled: true, windowMinutes: 15 });
    // The fixture dates events in 2024 (long past any window); the second one is moved to now.
    f.event({ seq: 1, text: "old one" });
    f.event({ seq: 2, text: "new one", createdAt: Date.now() });
    f.render(
      <>
        <Item seq={1} />
        <Item seq={2} />
      </>,
    );
    const [old, recent] = await screen.findAllByRole("article");
    const blocked = within(old!).getByRole("button", { name: "Edit message" });
    await waitFor(() => expect(blocked.getAttribute("aria-disabled")).toBe("true"));
    expect(blocked.title).toBe("Messages can be edited for 15 minutes after sending; this one is older");
    const u = userEvent.setup();
    await u.click(blocked);
    expect(within(old!).queryByRole("textbox", { name: "Edit message" })).toBeNull();
    const open = within(recent!).getByRole("button", { name: "Edit message" });
    expect(open.getAttribute("aria-disabled")).toBeNull();
    await u.click(open);
    expect(within(recent!).getByRole("textbox", { name: "Edit message" })).toBeTruthy();
  });

  test("an edit the server refuses (the window closed while editing) is reported on the message", async () => {
    const f = await chatFixture({ me, users: [] });
    f.worker.answers.set(
      "call:edit",
      new ParleyError({ code: "edit_not_allowed", status: 403, message: "messages can be edited for 15 minutes after sending; this one is older" }),
    );
    f.event({ seq: 1, text: "draft" });
    f.render(<Item seq={1} />);
    const u = userEvent.setup();
    const msg = await screen.findByRole("article");
    await u.click(within(msg).getByRole("button", { name: "Edit message" }));
    const editor = within(msg).getByRole("textbox", { name: "Edit message" });
    await u.clear(editor);
    await u.type(editor, "too late{Enter}");
    expect((await within(msg).findByRole("alert")).textContent).toBe("Not edited: messages can be edited for 15 minutes after sending; this one is older");
    expect(within(msg).getByText("draft")).toBeTruthy();
  });

  test("admins set a window in settings; the page's messages follow the saved policy", async () => {
    const f = await chatFixture({ me, users: [] });
    f.worker.answers.set("api:getEditPolicy", { enabled: true, windowMinutes: null });
    f.worker.answers.set("api:setEditPolicy", (cmd: { input: { body: unknown } }) => cmd.input.body);
    f.event({ seq: 1, text: "old one" });
    f.render(
      <>
        <EditPolicySection />
        <Item seq={1} />
      </>,
    );
    const u = userEvent.setup();
    const form = await screen.findByRole("form", { name: "Message editing" });
    await waitFor(() => expect(within(form).getByRole("radio", { name: "At any time" })).toHaveProperty("checked", true));
    await u.click(within(form).getByRole("radio", { name: "For a limited time after sending" }));
    const minutes = within(form).getByRole("spinbutton", { name: "Edit window (minutes)" });
    await u.clear(minutes);
    await u.type(minutes, "0");
    await u.click(within(form).getByRole("button", { name: "Save editing policy" }));
    expect(within(form).getByText(/whole number of minutes from 1/)).toBeTruthy();
    await u.clear(minutes);
    await u.type(minutes, "30");
    await u.click(within(form).getByRole("button", { name: "Save editing policy" }));
    await within(form).findByRole("status");
    const sent = f.worker.commands.filter((c) => c.op === "api" && c.route === "setEditPolicy");
    expect(sent.map((c) => (c as { input: unknown }).input)).toEqual([{ body: { enabled: true, windowMinutes: 30 } }]);
    // A message rendered after the save reads the remembered policy.
    f.render(<Item seq={1} />);
    const items = await screen.findAllByRole("article");
    await waitFor(() => expect(within(items.at(-1)!).getByRole("button", { name: "Edit message" }).title).toMatch(/30 minutes/));
  });

  test("clicking (edited) lists every version oldest first with its time; an undecryptable one says so; others' edits are not versions", async () => {
    const alice = user("u-alice", "alice", "Alice Liddell");
    const bob = user("u-bob", "bob", "Bob Ross");
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
