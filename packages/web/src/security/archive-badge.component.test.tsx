import { describe, expect, test } from "vitest";
import { act, screen } from "@testing-library/react";
import type { ArchiveStatus } from "@parley/sdk";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { Composer } from "../components/channel/composer.tsx";
import { ArchiveBadge, ArchiveFacts } from "./archive-badge.tsx";

const me = user("u-me", "me", "Me Myself");
const archived: ArchiveStatus = {
  archived: true,
  policyName: "Acme compliance archive",
  version: 3,
  since: Date.UTC(2026, 11, 4),
  signerFingerprint: "1a2b 3c4d 5e6f 7a8b 9c0d",
  problem: null,
};

async function setup(status: ArchiveStatus | undefined) {
  const f = await chatFixture({ me, users: [] });
  f.render(
    <>
      <ArchiveBadge channelId="ch-1" />
      <dl>
        <ArchiveFacts channelId="ch-1" />
      </dl>
      <Composer channelId="ch-1" threadRoot={null} placeholder="Message #general" />
    </>,
  );
  if (status) await act(async () => f.worker.push({ t: "events", batch: [["archive.status", { statuses: { "ch-1": status } }]] }));
  return f;
}

describe("compliance archive in the chat", () => {
  test("an archived channel shows the badge, naming the archive, and the security panel's line", async () => {
    await setup(archived);
    const badge = await screen.findByTestId("archive-badge");
    expect(badge.textContent).toContain("Archived for compliance");
    expect(badge.getAttribute("title")).toContain('"Acme compliance archive"');
    const line = screen.getByTestId("archive-line").textContent!;
    expect(line).toContain('"Acme compliance archive" (policy version 3, since ');
    expect(line).toContain("2026");
    expect(line).toContain("Signer key 1a2b 3c4d 5e6f 7a8b 9c0d.");
    expect((screen.getByRole("textbox", { name: "Message #general" }) as HTMLTextAreaElement).disabled).toBe(false);
    expect(screen.queryByTestId("archive-blocked")).toBeNull();
  });

  test("a channel the archive does not concern shows nothing", async () => {
    await setup({ ...archived, archived: false });
    await act(() => new Promise((r) => setTimeout(r, 50))); // the store's change notification goes out once a frame
    expect(screen.queryByTestId("archive-badge")).toBeNull();
    expect(screen.queryByTestId("archive-line")).toBeNull();
  });

  test("a problem the device found blocks the composer and says why, in the panel too", async () => {
    const f = await setup({
      ...archived,
      problem: { code: "server_mismatch", message: "the server reports this channel as not archived, but the policy covers it" },
    });
    expect((await screen.findByTestId("archive-badge")).textContent).toContain("Archive status disputed");
    const note = screen.getByTestId("archive-blocked").textContent!;
    expect(note).toContain("Sending is blocked: the server reports this channel's archive status differently from your organisation's signed policy.");
    expect(note).toContain("The server reports this channel as not archived");
    expect((screen.getByRole("textbox", { name: "Message #general" }) as HTMLTextAreaElement).disabled).toBe(true);
    expect(screen.getAllByRole("alert").length).toBeGreaterThanOrEqual(2);
    expect(f.worker.calls("send")).toHaveLength(0);
  });
});
