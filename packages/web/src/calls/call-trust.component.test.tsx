import { describe, expect, test, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Command } from "../worker/protocol.ts";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { useChat } from "../client/use-chat.ts";
import { GroupTile } from "./group-tile.tsx";
import { useCallTrust } from "./call-trust.ts";
import { CallParticipantsPanel } from "./call-trust-panel.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Liddell");
const bob = user("u-bob", "bob", "Bob Member");
const SAFETY: Record<string, string> = { [alice.id]: "1".repeat(60), [bob.id]: "2".repeat(60) };
const people = [
  { userId: me.id, deviceId: "dev-me" },
  { userId: alice.id, deviceId: "dev-a1" },
  { userId: bob.id, deviceId: "dev-b2" },
];

/** The group call's tiles and the participants panel over one useCallTrust, as GroupCallScreen wires them. */
function Call() {
  const chat = useChat();
  const trust = useCallTrust(chat, people);
  return (
    <>
      {people.map((p) => (
        <GroupTile
          key={p.deviceId}
          deviceId={p.deviceId}
          user={chat.users.get(p.userId)!}
          self={p.deviceId === "dev-me"}
          video={undefined}
          audioMuted={false}
          videoMuted={false}
          handRaised={false}
          speaking={false}
          active={false}
          pinned={false}
          trust={trust(p.userId, p.deviceId)}
          onPin={vi.fn()}
        />
      ))}
      <CallParticipantsPanel chat={chat} people={people} trust={trust} onClose={vi.fn()} />
    </>
  );
}

/** This device saw Bob before with dev-b1 only, and maybe verified Alice (`verified`: the number it confirmed). */
async function setup(verified: Record<string, string> = {}) {
  localStorage.setItem("parley.device-watch.v1.dev-me", JSON.stringify({ seen: { [bob.id]: ["dev-b1"] }, pending: [], verified }));
  const f = await chatFixture({ me, users: [alice, bob] });
  f.worker.answers.set("call:safetyNumber", (c: Command) => (c.op === "call" ? SAFETY[c.args[1] as string] : undefined));
  f.worker.answers.set("call:fingerprint", "123451234512345123451234512345");
  f.worker.answers.set("api:listDevices", { devices: [{ id: "dev-me", name: "Laptop" }] });
  f.worker.answers.set("api:listBindings", {
    bindings: [
      { userId: me.id, deviceId: "dev-me" },
      { userId: alice.id, deviceId: "dev-a1" },
      { userId: bob.id, deviceId: "dev-b1" },
      { userId: bob.id, deviceId: "dev-b2" },
    ],
  });
  // Alice approved her device with her identity key; Bob's dev-b2 is approved by nobody.
  f.worker.answers.set("approval", (c: Command) =>
    c.op === "approval" && c.action === "trust"
      ? c.userIds!.map((userId) => ({ userId, approved: userId === alice.id ? ["dev-a1"] : ["dev-b1"], hasIdentity: true, identityKeyChanged: false }))
      : undefined,
  );
  f.render(<Call />);
  return { ...f, u: userEvent.setup() };
}

const tileMark = (name: string) => within(screen.getByRole("figure", { name })).queryByTestId("trust-mark");

describe("call verified-device marks", () => {
  test("each tile says whether you verified the person, and warns about a new device nobody approved; your own tile has no mark", async () => {
    await setup();
    await waitFor(() => expect(tileMark("Bob Member")?.textContent).toBe("New device — not verified"));
    expect(tileMark("Alice Liddell")?.textContent).toBe("Not verified");
    expect(tileMark("Alice Liddell")?.dataset.mark).toBe("unverified");
    expect(tileMark("Me Myself (you)")).toBeNull();
  });

  test("the panel lists each participant's device (approved by its owner, new and unapproved, this device); Verify opens the safety-number dialog and marking verified turns the mark", async () => {
    const { u } = await setup();
    const panel = screen.getByRole("region", { name: "Call participants" });
    await waitFor(() => expect(within(panel).getByRole("listitem", { name: "Bob Member" }).textContent).toContain("new device, not approved"));
    const aliceRow = within(panel).getByRole("listitem", { name: "Alice Liddell" });
    expect(within(aliceRow).getByTestId("call-device").textContent).toContain("device approved by its owner");
    expect(within(panel).getByRole("listitem", { name: "Me Myself" }).textContent).toContain("this device");
    expect(within(within(panel).getByRole("listitem", { name: "Me Myself" })).queryByRole("button")).toBeNull();

    await u.click(within(aliceRow).getByRole("button", { name: "Verify" }));
    const dialog = await screen.findByRole("dialog", { name: "Verify Alice Liddell" });
    await u.click(await within(dialog).findByRole("button", { name: "The numbers match — mark as verified" }));
    await u.click(within(dialog).getByRole("button", { name: "Close" }));
    await waitFor(() => expect(tileMark("Alice Liddell")?.textContent).toBe("Verified"));
    expect(within(aliceRow).getByTestId("trust-mark").textContent).toBe("Verified");
    expect(within(aliceRow).getByRole("button", { name: "Details" })).toBeTruthy();
    // Bob stays as he was.
    expect(tileMark("Bob Member")?.textContent).toBe("New device — not verified");
  });

  test("a person verified before whose safety number changed since is marked so", async () => {
    await setup({ [alice.id]: "9".repeat(60) });
    await waitFor(() => expect(tileMark("Alice Liddell")?.textContent).toBe("Safety number changed"));
  });
});
