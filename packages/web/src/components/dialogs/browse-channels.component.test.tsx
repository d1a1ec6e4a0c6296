import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Channel } from "@parley/protocol";
import type { Command } from "../../worker/protocol.ts";
import { chatFixture, user } from "../../testing/chat-fixture.tsx";
import { BrowseChannelsDialog } from "./browse-channels.tsx";

const me = user("u-me", "me", "Me Myself");
const channel = (id: string, name: string) =>
  ({ id, orgId: "org-1", kind: "public", name, topic: "", createdBy: me.id, createdAt: 1, memberCount: 3, joined: false }) as unknown as Channel & {
    joined: boolean;
  };

describe("Browse channels", () => {
  test("an answer to an earlier query that arrives last does not replace the list of the query typed", async () => {
    const f = await chatFixture({ me, users: [] });
    const waiting = new Map<string, (channels: Array<Channel & { joined: boolean }>) => void>();
    f.worker.answers.set("api:browseChannels", (c: Command) => {
      const q = c.op === "api" ? ((c.input as { query: { q?: string } }).query.q ?? "") : "";
      return new Promise((resolve) => waiting.set(q, (channels) => resolve({ channels, hasMore: false })));
    });
    f.render(<BrowseChannelsDialog onClose={() => undefined} />);
    const u = userEvent.setup();
    const search = screen.getByRole("searchbox", { name: "Search channels" });
    await waitFor(() => expect(waiting.has("")).toBe(true));
    await u.type(search, "de");
    await waitFor(() => expect(waiting.has("de")).toBe(true));
    await u.type(search, "v");
    await waitFor(() => expect(waiting.has("dev")).toBe(true));

    waiting.get("dev")!([channel("c-dev", "dev")]);
    const list = screen.getByRole("list");
    await within(list).findByRole("button", { name: "Join dev" });
    // The slower, earlier answers come in after it.
    waiting.get("de")!([channel("c-design", "design"), channel("c-dev", "dev")]);
    waiting.get("")!([channel("c-general", "general")]);
    await new Promise((r) => setTimeout(r, 50));
    expect(
      within(list)
        .getAllByRole("button")
        .map((b) => b.getAttribute("aria-label")),
    ).toEqual(["Join dev"]);
  });
});
