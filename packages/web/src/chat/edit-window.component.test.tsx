import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { useChat } from "../client/use-chat.ts";
import { MessageItem } from "../components/channel/message-item.tsx";
import { EditPolicySection } from "../admin/edit-policy-section.tsx";

const me = user("u-me", "me", "Me Myself", { role: "admin" });

function Item(props: { seq: number }) {
  const chat = useChat();
  const m = chat.history("ch-1").get(props.seq);
  return m ? <MessageItem channelId="ch-1" m={m} showHeader /> : null;
}

describe("edit window", () => {
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
});
