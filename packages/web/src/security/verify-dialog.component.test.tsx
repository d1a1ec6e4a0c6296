import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Command } from "../worker/protocol.ts";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { VerifyDialog } from "./verify-dialog.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Liddell");
const SAFETY = "012345678901234567890123456789012345678901234567890123456789"; // 60 digits
const FP: Record<string, string> = {
  "dev-me": "111112222233333444445555566666",
  "dev-a1": "987654321098765432109876543210",
};

async function setup() {
  localStorage.clear();
  const f = await chatFixture({ me, users: [alice] });
  f.worker.answers.set("call:safetyNumber", SAFETY);
  f.worker.answers.set("call:fingerprint", (c: Command) => (c.op === "call" ? FP[c.args[1] as string] : undefined));
  f.worker.answers.set("api:listBindings", {
    bindings: [
      { userId: me.id, deviceId: "dev-me" },
      { userId: alice.id, deviceId: "dev-a1" },
    ],
  });
  f.worker.answers.set("api:listDevices", { devices: [{ id: "dev-me", name: "Laptop" }] });
  // Alice approved her device with her identity key; this one is not approved.
  f.worker.answers.set("approval", (c: Command) =>
    c.op === "approval" && c.action === "trust"
      ? c.userIds!.map((userId) => ({ userId, approved: userId === alice.id ? ["dev-a1"] : [], hasIdentity: true, identityKeyChanged: false }))
      : undefined,
  );
  f.render(<VerifyDialog chat={f.chat} userId={alice.id} onClose={() => undefined} />);
  return { ...f, u: userEvent.setup() };
}

describe("VerifyDialog (safety number and fingerprints)", () => {
  test("shows the 60-digit safety number in twelve groups of five", async () => {
    await setup();
    const number = await screen.findByTestId("safety-number");
    expect([...number.children].map((g) => g.textContent)).toEqual([
      "01234",
      "56789",
      "01234",
      "56789",
      "01234",
      "56789",
      "01234",
      "56789",
      "01234",
      "56789",
      "01234",
      "56789",
    ]);
    expect(number.getAttribute("aria-label")).toBe(`Safety number ${SAFETY}`);
    expect(screen.getByRole("heading", { name: "Verify Alice Liddell" })).toBeTruthy();
  });

  test("lists both people's devices with 30-digit fingerprints in groups of five, and whether each is approved", async () => {
    await setup();
    const theirs = await screen.findByRole("table", { name: "Devices of Alice Liddell" });
    await waitFor(() => expect(within(theirs).getByTestId("device-fingerprint").textContent).toBe("98765 43210 98765 43210 98765 43210"));
    const mine = await screen.findByRole("table", { name: "Devices of Me Myself" });
    const row = within(mine).getByRole("row", { name: /Laptop/ });
    expect(within(row).getByTestId("device-fingerprint").textContent).toBe("11111 22222 33333 44444 55555 66666");
    expect(within(row).getByText("current device")).toBeTruthy();
    expect(within(theirs).getByTestId("device-approval").textContent).toBe("approved");
    expect(within(row).getByTestId("device-approval").textContent).toBe("not approved");
  });

  test("marking the numbers as matching records the verification", async () => {
    const f = await setup();
    await f.u.click(await screen.findByRole("button", { name: /The numbers match/ }));
    await screen.findByText("You verified Alice Liddell. The number has not changed since.");
    expect(screen.queryByRole("button", { name: /The numbers match/ })).toBeNull();
  });
});
