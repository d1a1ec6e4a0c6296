import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { E2eeConfig } from "@parley/protocol";
import type { Command } from "../worker/protocol.ts";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { SettingsTab } from "./settings-tab.tsx";

const me = user("u-me", "olivia", "Olivia Owner", { role: "owner" });

describe("Admin → Org settings: the cipher suite", () => {
  test("the choice waits for the stored suite, so a late answer cannot undo it; Save sends the chosen suite", async () => {
    const f = await chatFixture({ me, users: [] });
    const stored = { suite: "default" } as E2eeConfig;
    let answer!: (c: E2eeConfig) => void;
    f.worker.answers.set("api:getE2eeConfig", new Promise<E2eeConfig>((r) => (answer = r)));
    f.worker.answers.set("api:setE2eeConfig", (c: Command) => ({ ...stored, ...(c.op === "api" ? (c.input as { body: object }).body : {}) }));
    // The tab's other sections (their own tests cover them) are refused here, which they show and go on.
    for (const route of ["getPasswordPolicy", "getMfaPolicy", "getEditPolicy", "getCallPolicy"])
      f.worker.answers.set(`api:${route}`, new Error("not in this test"));
    f.render(<SettingsTab />);
    const suites = screen.getByRole("group", { name: "Cipher suite for new channels" });
    const xwing = within(suites).getByRole("radio", { name: /Post-quantum \(X-Wing\)/ }) as HTMLInputElement;
    for (const radio of within(suites).getAllByRole("radio")) expect((radio as HTMLInputElement).disabled).toBe(true);

    answer(stored);
    await waitFor(() => expect(xwing.disabled).toBe(false));
    expect((within(suites).getByRole("radio", { name: /Standard/ }) as HTMLInputElement).checked).toBe(true);
    const u = userEvent.setup();
    await u.click(xwing);
    await u.click(screen.getByRole("button", { name: "Save suite" }));
    await screen.findByText(/Saved: new channels use/);
    const sent = f.worker.commands.flatMap((c) => (c.op === "api" && c.route === "setE2eeConfig" ? [c.input] : []));
    expect(sent).toEqual([{ body: { suite: "xwing" } }]);
    expect(xwing.checked).toBe(true);
  });
});
