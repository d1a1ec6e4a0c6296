import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ParleyError } from "@parley/sdk";
import type { Command } from "../worker/protocol.ts";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { SessionPolicySection } from "./session-policy-section.tsx";
import { ApiKeyForm } from "./api-key-form.tsx";

const me = user("u-me", "olivia", "Olivia Owner", { role: "owner" });
const bot = user("u-bot", "exporter", "Nightly exporter");
const apiInputs = (cmds: Command[], route: string) => cmds.flatMap((c) => (c.op === "api" && c.route === route ? [c.input] : []));

describe("Admin → Sessions: the session policy form", () => {
  test("typos and out-of-range timeouts are named before the server is asked; a lock-out refusal says how to fix it", async () => {
    const f = await chatFixture({ me, users: [] });
    f.worker.answers.set("api:getSessionPolicy", { idleTimeoutMinutes: null, absoluteTimeoutHours: 12, ipAllowList: [] });
    let answer: unknown = new ParleyError({
      code: "bad_request",
      status: 400,
      message: "the allow-list does not include your own address (192.0.2.9): you would lock yourself out",
    });
    f.worker.answers.set("api:setSessionPolicy", () => answer);
    f.render(<SessionPolicySection />);
    const form = await screen.findByRole("form", { name: "Session policy" });
    const u = userEvent.setup();
    const allow = within(form).getByLabelText("IP allow-list");
    await waitEnabled(allow);
    expect((within(form).getByLabelText("Absolute timeout (hours)") as HTMLInputElement).value).toBe("12");

    await u.type(within(form).getByLabelText("Idle timeout (minutes)"), "2");
    await u.click(within(form).getByRole("button", { name: "Save session policy" }));
    await within(form).findByText(/idle timeout must be a whole number from 5/);
    await u.clear(within(form).getByLabelText("Idle timeout (minutes)"));
    await u.type(within(form).getByLabelText("Idle timeout (minutes)"), "30");
    await u.type(allow, "10.0.0.0/8\nvpn.example.org");
    await u.click(within(form).getByRole("button", { name: "Save session policy" }));
    await within(form).findByText(/"vpn.example.org" is not an IP address or CIDR block/);
    expect(apiInputs(f.worker.commands, "setSessionPolicy")).toEqual([]);

    await u.clear(allow);
    await u.type(allow, "10.0.0.0/8");
    await u.click(within(form).getByRole("button", { name: "Save session policy" }));
    await within(form).findByText(/Not saved: .*lock yourself out.*Add the network you are connecting from/);
    answer = { idleTimeoutMinutes: 30, absoluteTimeoutHours: 12, ipAllowList: ["10.0.0.0/8", "192.0.2.0/24"] };
    await u.type(allow, "\n192.0.2.0/24");
    await u.click(within(form).getByRole("button", { name: "Save session policy" }));
    await within(form).findByText("Saved.");
    expect(apiInputs(f.worker.commands, "setSessionPolicy").at(-1)).toEqual({
      body: { idleTimeoutMinutes: 30, absoluteTimeoutHours: 12, ipAllowList: ["10.0.0.0/8", "192.0.2.0/24"] },
    });
  });
});

describe("Admin → API keys: the create form", () => {
  test("a key for a service account is shown once with a Copy button; without a scope nothing is sent", async () => {
    const f = await chatFixture({ me, users: [bot] });
    f.worker.answers.set("api:createServiceAccountKey", {
      key: "pk_secret-0123456789",
      apiKey: {
        id: "apk_1",
        userId: bot.id,
        name: "Export",
        prefix: "pk_secre",
        scopes: ["read"],
        createdAt: 1,
        expiresAt: 2,
        lastUsedAt: null,
        revoked: false,
      },
    });
    let created = 0;
    f.render(<ApiKeyForm serviceAccounts={[bot]} onCreated={() => created++} />);
    const u = userEvent.setup();
    const form = screen.getByRole("form", { name: "Create API key" });
    await u.selectOptions(within(form).getByLabelText("For"), bot.id);
    await u.type(within(form).getByLabelText("Key name"), "Export");
    await u.click(within(form).getByLabelText("Read"));
    await u.click(within(form).getByRole("button", { name: "Create API key" }));
    await within(form).findByText("Choose at least one scope.");
    await u.click(within(form).getByLabelText("Read"));
    await u.clear(within(form).getByLabelText("Expires after (days)"));
    await u.type(within(form).getByLabelText("Expires after (days)"), "30");
    await u.click(within(form).getByRole("button", { name: "Create API key" }));
    const shown = await screen.findByRole("status", { name: "API key “Export” for @exporter" });
    expect((within(shown).getByLabelText("New API key") as HTMLInputElement).value).toBe("pk_secret-0123456789");
    expect(within(shown).getByRole("button", { name: "Copy New API key" })).toBeTruthy();
    expect(apiInputs(f.worker.commands, "createServiceAccountKey")).toEqual([
      { params: { id: bot.id }, body: { name: "Export", scopes: ["read"], expiresInDays: 30 } },
    ]);
    expect(created).toBe(1);
    await u.click(within(shown).getByRole("button", { name: "Done" }));
    expect(screen.queryByText("pk_secret-0123456789")).toBeNull();
    expect(screen.getByRole("form", { name: "Create API key" })).toBeTruthy();
  });
});

/** The form's fields are disabled until the stored policy has loaded. */
async function waitEnabled(el: HTMLElement) {
  await waitFor(() => expect((el as HTMLTextAreaElement).disabled).toBe(false));
}
