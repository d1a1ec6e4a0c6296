import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { EncryptionReset, MyChannel } from "@parley/protocol";
import { ParleyError } from "@parley/sdk";
import { chatFixture, user, type ChatFixture } from "../testing/chat-fixture.tsx";
import { useChat } from "../client/use-chat.ts";
import { ResetRow } from "./reset-row.tsx";
import { ChannelSecurityBadge } from "./channel-security.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Liddell");

/** What the message list does: the channel's reset rows, looked up in the store on every render. */
function Resets() {
  const chat = useChat();
  return (
    <>
      {chat
        .history("ch-1")
        .resets()
        .map((n) => (
          <ResetRow key={n.seq} notice={n} />
        ))}
    </>
  );
}

function resetEvent(f: ChatFixture, seq: number, reset: EncryptionReset | undefined, senderId = reset?.by ?? "server"): void {
  f.event({
    seq,
    kind: "reset",
    senderId,
    content: reset ? { reset } : { decodeError: "a reset event without a readable generation", decodeReason: "malformed" },
  });
}

describe("ResetRow (timeline row of an encryption reset)", () => {
  test("says who or what reset it, with the generation as subtle text and in the tooltip", async () => {
    const f = await chatFixture({ me, users: [alice] });
    resetEvent(f, 2, { generation: 1, reason: "admin", by: alice.id });
    resetEvent(f, 3, { generation: 2, reason: "admin", by: me.id });
    resetEvent(f, 4, { generation: 3, reason: "unrecoverable", by: alice.id });
    resetEvent(f, 5, { generation: 4, reason: "engine_upgrade", by: alice.id });
    resetEvent(f, 6, { generation: 5, reason: "operator", by: null });
    resetEvent(f, 7, undefined);
    f.render(<Resets />);
    await waitFor(() => expect(screen.getAllByRole("note")).toHaveLength(6));
    expect(screen.getAllByRole("note").map((n) => n.getAttribute("aria-label"))).toEqual([
      "Encryption was reset by Alice Liddell",
      "Encryption was reset by you",
      "Encryption was reset automatically (a device could not continue the old group)",
      "Encryption was reset after an upgrade",
      "Encryption was reset by an operator",
      "Encryption was reset",
    ]);
    const first = screen.getByRole("note", { name: "Encryption was reset by Alice Liddell" });
    expect(first.textContent).toContain("new group, generation 1");
    expect(first.getAttribute("title")).toMatch(/generation 1\b.*every member's devices joined it/);
    // A malformed reset still reads as a reset (never as an undecryptable message), without a generation.
    expect(screen.getByRole("note", { name: "Encryption was reset" }).textContent).not.toContain("generation");
  });

  test("a reset is not a message: not in the timeline's messages, not unread, not a decryption failure", async () => {
    const f = await chatFixture({ me, users: [alice] });
    f.event({ seq: 1, senderId: alice.id, text: "before" });
    resetEvent(f, 2, { generation: 1, reason: "admin", by: alice.id });
    f.event({ seq: 3, senderId: alice.id, text: "after" });
    const h = f.chat.history("ch-1");
    await waitFor(() => expect(h.maxSeq).toBe(3));
    expect(h.messages().map((m) => [m.seq, m.text, m.decodeError])).toEqual([
      [1, "before", undefined],
      [3, "after", undefined],
    ]);
    expect(h.resets().map((n) => n.seq)).toEqual([2]);
    // The channel is not open: the two messages from Alice are unread, the reset is not.
    expect(f.chat.channel("ch-1")!.unread).toBe(2);
    expect(f.chat.channel("ch-1")!.lastSeq).toBe(3);
  });
});

describe("Reset encryption (security panel action)", () => {
  async function panel(opts: { channel?: Partial<MyChannel>; me?: typeof me } = {}) {
    const f = await chatFixture({ me: opts.me ?? me, users: [alice], ...(opts.channel ? { channel: opts.channel } : {}) });
    f.worker.answers.set("api:getGroupInfo", { epoch: 3, generation: 0, engine: "ts-mls", suite: "default", groupInfo: null, pendingRemovals: [] });
    f.worker.answers.set("api:listMembers", { members: [{ userId: f.me.id }, { userId: alice.id }] });
    f.render(<ChannelSecurityBadge channel={f.chat.channel("ch-1")!} />);
    const u = userEvent.setup();
    await u.click(screen.getByRole("button", { name: /Encrypted/ }));
    await screen.findByRole("dialog", { name: "End-to-end encryption" });
    return { ...f, u };
  }

  test("a channel admin confirms in a dialog that explains the reset; the client is called through the worker", async () => {
    const f = await panel({ channel: { myRole: "admin" } });
    f.worker.answers.set("call:resetEncryption", 1);
    await f.u.click(screen.getByRole("button", { name: "Reset encryption…" }));
    const dialog = await screen.findByRole("dialog", { name: "Reset encryption?" });
    expect(dialog.textContent).toContain("a new encryption group");
    expect(dialog.textContent).toContain("join the new one automatically");
    expect(dialog.textContent).toContain("Messages already read stay readable");
    expect(dialog.textContent).toContain("encryption is broken");
    expect(f.worker.calls("resetEncryption")).toEqual([]);
    await f.u.click(within(dialog).getByRole("button", { name: "Reset encryption" }));
    await waitFor(() => expect(f.worker.calls("resetEncryption")).toEqual([["resetEncryption", ["ch-1"]]]));
    // Done: the dialog and the panel close (the timeline row shows what happened).
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  test("cancel goes back to the panel without resetting", async () => {
    const f = await panel({ channel: { myRole: "admin" } });
    await f.u.click(screen.getByRole("button", { name: "Reset encryption…" }));
    await f.u.click(within(await screen.findByRole("dialog", { name: "Reset encryption?" })).getByRole("button", { name: "Cancel" }));
    await screen.findByRole("dialog", { name: "End-to-end encryption" });
    expect(f.worker.calls("resetEncryption")).toEqual([]);
  });

  test("the server's refusal is shown in the dialog", async () => {
    const f = await panel({ me: user("u-me", "me", "Me Myself", { role: "admin" }) });
    f.worker.answers.set("call:resetEncryption", new ParleyError({ code: "forbidden", status: 403, message: "only channel admins may do this" }));
    await f.u.click(screen.getByRole("button", { name: "Reset encryption…" }));
    const dialog = await screen.findByRole("dialog", { name: "Reset encryption?" });
    await f.u.click(within(dialog).getByRole("button", { name: "Reset encryption" }));
    expect((await within(dialog).findByRole("alert")).textContent).toMatch(/not allowed to reset this channel's encryption/);
    expect(within(dialog).getByRole("button", { name: "Reset encryption" })).toHaveProperty("disabled", false);
  });

  test("channel members who are not admins do not see the action", async () => {
    await panel();
    expect(screen.queryByRole("button", { name: "Reset encryption…" })).toBeNull();
  });

  test.each([
    ["an org admin", { me: user("u-me", "me", "Me Myself", { role: "admin" }) }],
    ["a DM member", { channel: { kind: "dm" as const, dmUserIds: [me.id, alice.id] } }],
  ])("%s sees the action", async (_who, opts) => {
    await panel(opts);
    expect(screen.getByRole("button", { name: "Reset encryption…" })).toBeTruthy();
  });

  test("not on an archived channel", async () => {
    await panel({ channel: { myRole: "admin", archived: true } });
    expect(screen.queryByRole("button", { name: "Reset encryption…" })).toBeNull();
  });
});
