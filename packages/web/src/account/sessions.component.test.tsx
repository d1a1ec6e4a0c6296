import { describe, expect, test, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Session } from "@parley/protocol";
import type { Command } from "../worker/protocol.ts";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { SessionsSection } from "./sessions-section.tsx";

const me = user("u-me", "me", "Me Myself");
const session = (id: string, deviceName: string, current = false): Session => ({
  id,
  deviceId: `dev-${id}`,
  deviceName,
  createdAt: 1_700_000_000_000,
  lastUsedAt: 1_700_000_100_000,
  current,
});
const apiInputs = (cmds: Command[], route: string) => cmds.flatMap((c) => (c.op === "api" && c.route === route ? [c.input] : []));

async function section() {
  const f = await chatFixture({ me, users: [] });
  let sessions = [session("s1", "This laptop", true), session("s2", "Old phone")];
  f.worker.answers.set("api:listSessions", () => ({ sessions }));
  f.worker.answers.set("api:revokeSession", () => {
    sessions = sessions.filter((s) => s.id !== "s2");
    return null;
  });
  f.worker.answers.set("api:signOutEverywhere", { ended: 1 });
  const onSignedOut = vi.fn();
  f.render(<SessionsSection onSignedOut={onSignedOut} />);
  await screen.findByRole("cell", { name: "Old phone" });
  return { ...f, onSignedOut, u: userEvent.setup() };
}

describe("Profile → Sessions", () => {
  test("the current session cannot be ended from its row; another one can, after a confirmation", async () => {
    const f = await section();
    expect(screen.queryByRole("button", { name: "End session on This laptop" })).toBeNull();
    await f.u.click(screen.getByRole("button", { name: "End session on Old phone" }));
    const dialog = screen.getByRole("dialog", { name: "End this session?" });
    await f.u.click(within(dialog).getByRole("button", { name: "End session" }));
    await screen.findByText("The session on Old phone ended.");
    expect(apiInputs(f.worker.commands, "revokeSession")).toEqual([{ params: { id: "s2" } }]);
    expect(screen.queryByRole("cell", { name: "Old phone" })).toBeNull();
  });

  test("“everywhere else” keeps this session; “everywhere” ends it too and leaves the app", async () => {
    const f = await section();
    await f.u.click(screen.getByRole("button", { name: "Sign out everywhere else" }));
    await f.u.click(within(screen.getByRole("dialog", { name: "Sign out everywhere else?" })).getByRole("button", { name: "Sign out other sessions" }));
    await screen.findByText("Signed out everywhere else: 1 session ended.");
    expect(f.onSignedOut).not.toHaveBeenCalled();
    await f.u.click(screen.getByRole("button", { name: "Sign out everywhere" }));
    await f.u.click(within(screen.getByRole("dialog", { name: "Sign out everywhere?" })).getByRole("button", { name: "Sign out everywhere" }));
    await vi.waitFor(() => expect(f.onSignedOut).toHaveBeenCalledOnce());
    expect(apiInputs(f.worker.commands, "signOutEverywhere")).toEqual([{ body: { keepCurrent: true } }, { body: { keepCurrent: false } }]);
  });
});
