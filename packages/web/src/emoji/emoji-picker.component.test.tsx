import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { CustomEmoji } from "@parley/protocol";
import { chatFixture, user, type ChatFixture } from "../testing/chat-fixture.tsx";
import { createRoot } from "react-dom/client";
import { ChatContext, useChat } from "../client/use-chat.ts";
import type { Command, PersonalSnapshot } from "../worker/protocol.ts";
import { EmojiPicker } from "./emoji-picker.tsx";
import { MessageItem } from "../components/channel/message-item.tsx";
import { Composer } from "../components/channel/composer.tsx";
import { SavedPage } from "../personal/saved-page.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Liddell");
const PARROT: CustomEmoji = { name: "party-parrot", contentType: "image/png", version: "v1", width: 64, height: 64, createdBy: alice.id, createdAt: 1 };
const DAY = 24 * 3600_000;

/** A worker whose personal store holds `snap` (and answers changes with it), with the org's custom emoji. */
async function setup(snap: Partial<PersonalSnapshot> = {}) {
  const f = await chatFixture({ me, users: [alice] });
  const state: PersonalSnapshot = { available: true, saved: [], drafts: [], settings: {}, ...snap };
  // The worker's store after each action: a draft or a save changes it, as the real one does.
  f.worker.answers.set("personal", (c: Command) => {
    if (c.op === "personal" && c.action === "setDraft") {
      const [channelId, text, threadRoot] = c.args as [string, string, number | null];
      state.drafts = state.drafts.filter((d) => d.channelId !== channelId || d.threadRoot !== threadRoot);
      if (text) state.drafts.push({ channelId, threadRoot, text, updatedAt: Date.now() });
    }
    return state;
  });
  f.worker.answers.set("api:listCustomEmoji", { emoji: [PARROT] });
  f.worker.answers.set("emojiImage", { type: "image/png", bytes: new Uint8Array([137, 80, 78, 71]) });
  return { ...f, state, u: userEvent.setup() };
}

const personalCalls = (f: ChatFixture, action: string) =>
  f.worker.commands.flatMap((c: Command) => (c.op === "personal" && c.action === action ? [c.args] : []));

function Item(props: { seq: number }) {
  const chat = useChat();
  const m = chat.history("ch-1").get(props.seq);
  return m ? <MessageItem channelId="ch-1" m={m} showHeader /> : null;
}

describe("EmojiPicker", () => {
  test("lists frequently used emoji first (most used, synced from the personal store), then the org's custom emoji and the groups", async () => {
    const now = Date.now();
    const f = await setup({
      settings: { "emoji.usage": { "🚀": { count: 5, at: now - DAY }, "👍": { count: 1, at: now }, ":party-parrot:": { count: 3, at: now } } },
    });
    const picked: string[] = [];
    f.render(<EmojiPicker label="Pick" onPick={(e) => picked.push(e)} onClose={() => undefined} />);
    const frequent = await screen.findByRole("region", { name: "Frequently used" });
    await waitFor(() =>
      expect(
        within(frequent)
          .getAllByRole("button")
          .map((b) => b.getAttribute("aria-label")),
      ).toEqual([":rocket:", ":party-parrot:", ":thumbsup:"]),
    );
    const custom = screen.getByRole("region", { name: "Custom" });
    const parrot = within(custom).getByRole("button", { name: ":party-parrot:" });
    await waitFor(() => expect(within(parrot).getByRole("img", { name: ":party-parrot:" }).getAttribute("src")).toMatch(/^blob:/));
    expect(screen.getByRole("region", { name: "Smileys" })).toBeTruthy();
    await f.u.click(parrot);
    expect(picked).toEqual([":party-parrot:"]);
    // The use is counted and synced (sealed by the worker's personal store).
    await waitFor(() => expect(personalCalls(f, "setSetting")).toHaveLength(1));
    const [name, usage] = personalCalls(f, "setSetting")[0]! as [string, Record<string, { count: number }>];
    expect(name).toBe("emoji.usage");
    expect(usage[":party-parrot:"]!.count).toBeGreaterThan(3);
  });

  test("search matches names and words, custom shortcodes included; no match says so", async () => {
    const f = await setup();
    f.render(<EmojiPicker label="Pick" onPick={() => undefined} onClose={() => undefined} />);
    const search = screen.getByRole("searchbox", { name: "Search emoji" });
    await f.u.type(search, "part");
    await waitFor(() =>
      expect(
        within(screen.getByRole("region", { name: "Custom" }))
          .getAllByRole("button")
          .map((b) => b.getAttribute("aria-label")),
      ).toEqual([":party-parrot:"]),
    );
    expect(
      within(screen.getByRole("region", { name: "Results" }))
        .getAllByRole("button")
        .map((b) => b.getAttribute("aria-label")),
    ).toEqual([":partying_face:", ":tada:"]);
    await f.u.clear(search);
    await f.u.type(search, "zzz");
    expect(screen.getByText(/No emoji match/)).toBeTruthy();
  });

  test("reacts with a custom emoji from the message menu's full picker, shown as its image", async () => {
    const f = await setup();
    f.event({ seq: 1, senderId: alice.id, text: "ship it :party-parrot: now" });
    f.render(<Item seq={1} />);
    const msg = await screen.findByRole("article", { name: /^Alice Liddell at / });
    // `:shortcode:` of an org emoji in the text is its image; an unknown one stays text.
    await waitFor(() => expect(within(msg).getByRole("img", { name: ":party-parrot:" })).toBeTruthy());
    await f.u.click(within(msg).getByRole("button", { name: "Add reaction" }));
    await f.u.click(screen.getByRole("menuitem", { name: "More emoji" }));
    await f.u.click(within(screen.getByRole("dialog", { name: "Pick any reaction" })).getAllByRole("button", { name: ":party-parrot:" })[0]!);
    await waitFor(() => expect(f.worker.calls("react")).toHaveLength(1));
    expect(f.worker.calls("react")[0]![1]).toEqual(["ch-1", 1, ":party-parrot:"]);
  });

  test("an admin's new or deleted custom emoji shows in open messages and pickers at once (the org's emoji frame)", async () => {
    const f = await setup();
    f.event({ seq: 1, senderId: alice.id, text: "ship it :party-parrot: and :deploy-cat:" });
    f.render(
      <>
        <Item seq={1} />
        <EmojiPicker label="Pick" onPick={() => undefined} onClose={() => undefined} />
      </>,
    );
    const msg = await screen.findByRole("article", { name: /^Alice Liddell at / });
    await waitFor(() => expect(within(msg).getByRole("img", { name: ":party-parrot:" })).toBeTruthy());
    expect(within(msg).queryByRole("img", { name: ":deploy-cat:" })).toBeNull();
    const CAT: CustomEmoji = { ...PARROT, name: "deploy-cat", version: "v2" };
    f.worker.push({ t: "events", batch: [["emoji", { name: CAT.name, emoji: CAT }]] });
    await waitFor(() => expect(within(msg).getByRole("img", { name: ":deploy-cat:" })).toBeTruthy());
    const custom = screen.getByRole("region", { name: "Custom" });
    await waitFor(() =>
      expect(
        within(custom)
          .getAllByRole("button")
          .map((b) => b.getAttribute("aria-label")),
      ).toEqual([":deploy-cat:", ":party-parrot:"]),
    );
    f.worker.push({ t: "events", batch: [["emoji", { name: PARROT.name, emoji: null }]] });
    await waitFor(() => expect(within(msg).queryByRole("img", { name: ":party-parrot:" })).toBeNull());
    expect(within(msg).getByText(/:party-parrot:/)).toBeTruthy();
    await waitFor(() => expect(within(screen.getByRole("region", { name: "Custom" })).queryByRole("button", { name: ":party-parrot:" })).toBeNull());
  });
});

describe("drafts and saved messages", () => {
  test("the composer restores the channel's synced draft, saves typing after a pause, inserts emoji at the caret, and drops the draft on send", async () => {
    const f = await setup({ drafts: [{ channelId: "ch-1", threadRoot: null, text: "half a thought", updatedAt: 1 }] });
    f.render(<Composer channelId="ch-1" threadRoot={null} placeholder="Message #general" />);
    const box = screen.getByRole("textbox", { name: "Message #general" }) as HTMLTextAreaElement;
    await waitFor(() => expect(box.value).toBe("half a thought"));
    await f.u.type(box, " more");
    await waitFor(() => expect(personalCalls(f, "setDraft")).toContainEqual(["ch-1", "half a thought more", null]), { timeout: 3000 });
    await f.u.click(screen.getByRole("button", { name: "Insert emoji" }));
    await f.u.click(within(screen.getByRole("dialog", { name: "Insert emoji" })).getByRole("button", { name: ":rocket:" }));
    expect(box.value).toBe("half a thought more🚀");
    await f.u.type(box, "{Enter}");
    await waitFor(() => expect(f.worker.calls("send")).toHaveLength(1));
    await waitFor(() => expect(personalCalls(f, "setDraft")).toContainEqual(["ch-1", "", null]));
  });

  test("text typed the moment the composer appears is kept: neither the mount nor the store's answer replaces it", async () => {
    // A person (or a browser test) can type between the composer's first paint and its effects. Rendered
    // outside act(), as a browser does: the keystroke lands in the microtask after the commit, before the
    // scheduler runs the effects; then the store answers with an older draft.
    const f = await setup({ drafts: [{ channelId: "ch-1", threadRoot: null, text: "an older draft", updatedAt: 1 }] });
    const actEnv = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
    const wasAct = actEnv.IS_REACT_ACT_ENVIRONMENT;
    actEnv.IS_REACT_ACT_ENVIRONMENT = false;
    const host = document.body.appendChild(document.createElement("div"));
    const root = createRoot(host);
    try {
      const typed = new Promise<HTMLTextAreaElement>((resolve) => {
        const seen = new MutationObserver(() => {
          const box = host.querySelector("textarea");
          if (!box) return;
          seen.disconnect();
          Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value")!.set!.call(box, "typed at once");
          box.dispatchEvent(new Event("input", { bubbles: true }));
          resolve(box);
        });
        seen.observe(host, { childList: true, subtree: true });
      });
      root.render(
        <ChatContext.Provider value={f.chat}>
          <Composer channelId="ch-1" threadRoot={null} placeholder="Message #general" />
        </ChatContext.Provider>,
      );
      const box = await typed;
      await waitFor(() => expect(personalCalls(f, "snapshot").length).toBeGreaterThan(0));
      await new Promise((r) => setTimeout(r, 50));
      expect(box.value).toBe("typed at once");
      // The typed text becomes the draft.
      await waitFor(() => expect(personalCalls(f, "setDraft")).toContainEqual(["ch-1", "typed at once", null]), { timeout: 3000 });
      expect(box.value).toBe("typed at once");
    } finally {
      root.unmount();
      host.remove();
      actEnv.IS_REACT_ACT_ENVIRONMENT = wasAct;
    }
  });

  test("Save on a message stores its reference and text; the Saved view lists saved messages and opens one in its channel", async () => {
    const f = await setup();
    f.event({ seq: 4, senderId: alice.id, text: "the release is on Friday" });
    f.render(<Item seq={4} />);
    const msg = await screen.findByRole("article", { name: /^Alice Liddell at / });
    await f.u.click(within(msg).getByRole("button", { name: "Save message" }));
    await waitFor(() => expect(personalCalls(f, "save")).toEqual([[{ channelId: "ch-1", seq: 4, senderId: alice.id, text: "the release is on Friday" }]]));

    f.state.saved = [{ channelId: "ch-1", seq: 4, senderId: alice.id, preview: "the release is on Friday", savedAt: Date.now() }];
    f.render(<SavedPage />);
    const list = await screen.findByRole("list", { name: "Saved messages" });
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(1));
    const link = within(list).getByRole("link");
    expect(link.textContent).toContain("Alice Liddell");
    expect(link.textContent).toContain("#general");
    expect(link.textContent).toContain("the release is on Friday");
    await f.u.click(link);
    expect(location.pathname + location.search).toBe("/c/ch-1?at=4");
  });
});
