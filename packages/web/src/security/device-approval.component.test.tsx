import { describe, expect, test } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ApprovalRequest } from "@parley/protocol";
import { ParleyError } from "@parley/sdk";
import type { Command } from "../worker/protocol.ts";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { useChat } from "../client/use-chat.ts";
import { ApprovalPrompt, ApproveThisDevice } from "./device-approval.tsx";

const me = user("u-me", "me", "Me Myself");
const REQUEST: ApprovalRequest = {
  id: "req-1",
  deviceId: "dev-new",
  deviceName: "Firefox on the office PC",
  state: "pending",
  commitment: "AA==",
  approverDeviceId: null,
  approverKey: null,
  deviceKey: null,
  sealed: null,
  createdAt: 1,
  expiresAt: 600_001,
};

/** A store whose device reads the locker and the worker's answers per approval step. */
async function setup(steps: Partial<Record<string, unknown>>, canRead = true) {
  const f = await chatFixture({ me, users: [] });
  f.worker.answers.set("locker", { exists: true, canRead });
  f.worker.answers.set("approval", (c: Command) => (c.op === "approval" ? steps[c.action] : undefined));
  await f.chat.refreshLocker();
  await f.chat.refreshApprovals();
  const approvalSteps = () => f.worker.commands.flatMap((c) => (c.op === "approval" ? [`${c.action}:${c.requestId ?? ""}`] : []));
  return { ...f, u: userEvent.setup(), approvalSteps };
}

function Prompt() {
  return <ApprovalPrompt chat={useChat()} />;
}

describe("ApprovalPrompt (the approving device)", () => {
  test("asks whether the sign-in was the user's, shows the code to compare, and approves", async () => {
    const f = await setup({ pending: [REQUEST], accept: { request: { ...REQUEST, state: "revealed" }, code: "123456" } });
    f.render(<Prompt />);
    await screen.findByText("Firefox on the office PC");
    await f.u.click(screen.getByRole("button", { name: "It was me — compare codes" }));
    expect((await screen.findByTestId("approval-code")).textContent).toBe("123 456");
    await f.u.click(screen.getByRole("button", { name: "The codes match — approve" }));
    await screen.findByText(/is approved: it reads your earlier messages/);
    expect(f.approvalSteps()).toEqual(expect.arrayContaining(["accept:req-1", "confirm:req-1"]));
    expect(f.approvalSteps()).not.toContain("decline:req-1");
  });

  test("declines when it was not the user, and when the codes differ", async () => {
    const f = await setup({ pending: [REQUEST], accept: { request: REQUEST, code: "123456" } });
    f.render(<Prompt />);
    await f.u.click(await screen.findByRole("button", { name: "It was not me" }));
    await screen.findByText(/Declined: Firefox on the office PC was given nothing/);
    expect(f.approvalSteps()).toContain("decline:req-1");
    expect(f.approvalSteps()).not.toContain("confirm:req-1");
  });

  test("a device that does not read the locker is asked nothing", async () => {
    const f = await setup({ pending: [REQUEST] }, false);
    f.render(<Prompt />);
    await new Promise((r) => setTimeout(r, 30));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(f.approvalSteps()).not.toContain("pending:");
  });
});

describe("ApproveThisDevice (the new device)", () => {
  test("asks, waits for the approval and then reads the locker", async () => {
    const f = await setup({ request: REQUEST, code: "654321", await: 12, pending: [] }, false);
    f.render(<ApproveThisDevice chat={f.chat} onClose={() => undefined} />);
    await screen.findByTestId("approval-done");
    expect(f.chat.locker).toEqual({ exists: true, canRead: true });
    expect(f.approvalSteps()).toEqual(expect.arrayContaining(["request:", "code:req-1", "await:req-1"]));
  });

  test("a declined request says so and changes nothing", async () => {
    const declined = new ParleyError({ code: "approval_state", status: 409, message: "the approval request was declined", details: { state: "declined" } });
    const f = await setup({ request: REQUEST, code: declined }, false);
    f.render(<ApproveThisDevice chat={f.chat} onClose={() => undefined} />);
    expect((await screen.findByRole("alert")).textContent).toMatch(/declined.*Nothing on this device was changed/);
    expect(f.chat.locker?.canRead).toBe(false);
  });
});
