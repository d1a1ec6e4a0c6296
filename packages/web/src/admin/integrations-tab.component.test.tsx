import { describe, expect, test } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Integration, IntegrationDeadLetter } from "@parley/protocol";
import type { Command } from "../worker/protocol.ts";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { IntegrationsTab } from "./integrations-tab.tsx";

const me = user("u-me", "olivia", "Olivia Owner", { role: "owner" });
const bot = user("u-bot", "ci-bot", "CI bot");
const T0 = Date.UTC(2026, 0, 15, 9, 30);

const integration = (over: Partial<Integration>): Integration => ({
  id: "itg-1",
  kind: "incoming",
  name: "CI notifier",
  botUserId: bot.id,
  channelId: "ch-1",
  runsAt: "ci-runner-3.example.net",
  enabled: true,
  createdBy: "device:u-me",
  createdAt: T0,
  updatedAt: T0,
  ...over,
});
const dead: IntegrationDeadLetter = {
  integrationId: "itg-2",
  deliveryId: "dlv_abc",
  channelId: "ch-1",
  seq: 42,
  targetHost: "127.0.0.1:9000",
  lastStatus: 302,
  lastError: "redirect_refused: the target answered 302 to http://127.0.0.1:1/admin",
  attempts: 1,
  failedAt: T0,
};
const inputs = (cmds: Command[], route: string) => cmds.flatMap((c) => (c.op === "api" && c.route === route ? [c.input] : []));

describe("Admin → Integrations", () => {
  test("lists integrations with bot, channel and where they run; shows an outgoing webhook's dead letters; disables one", async () => {
    const f = await chatFixture({ me, users: [bot], channel: { name: "builds" } });
    let list = [integration({}), integration({ id: "itg-2", kind: "outgoing", name: "Deploy feed" })];
    f.worker.answers.set("api:listIntegrations", () => ({ integrations: list }));
    f.worker.answers.set("api:listIntegrationDeadLetters", { deadLetters: [dead] });
    f.worker.answers.set("api:updateIntegration", () => {
      list = [{ ...list[0]!, enabled: false }, list[1]!];
      return list[0];
    });
    f.render(<IntegrationsTab />);
    const table = await screen.findByRole("table", { name: "Integrations" });
    const row = within(table).getByText("CI notifier").closest("tr")!;
    expect(row.textContent).toContain("Incoming webhook");
    expect(row.textContent).toContain("CI bot (@ci-bot)");
    expect(row.textContent).toContain("#builds");
    expect(row.textContent).toContain("ci-runner-3.example.net");
    expect(within(row).queryByRole("button", { name: "Dead letters of CI notifier" })).toBeNull();

    const u = userEvent.setup();
    await u.click(within(table).getByRole("button", { name: "Dead letters of Deploy feed" }));
    const dl = await screen.findByRole("table", { name: "Dead letters table of Deploy feed" });
    expect(dl.textContent).toContain("127.0.0.1:9000");
    expect(dl.textContent).toContain("redirect_refused");
    expect(dl.textContent).toContain("#builds · 42");
    expect(inputs(f.worker.commands, "listIntegrationDeadLetters")).toEqual([{ params: { id: "itg-2" }, query: {} }]);

    await u.click(within(row).getByRole("button", { name: "Disable CI notifier" }));
    await within(table).findByText("Disabled");
    expect(inputs(f.worker.commands, "updateIntegration")).toEqual([{ params: { id: "itg-1" }, body: { enabled: false } }]);
  });

  test("an org without integrations says so", async () => {
    const f = await chatFixture({ me, users: [] });
    f.worker.answers.set("api:listIntegrations", { integrations: [] });
    f.render(<IntegrationsTab />);
    await screen.findByText("No integrations yet.");
  });
});
