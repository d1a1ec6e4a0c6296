import { describe, expect, test } from "vitest";
import { act, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { PresenceDot } from "./presence-dot.tsx";

const me = user("u-me", "me", "Me Myself");
const alice = user("u-alice", "alice", "Alice Liddell");
const bob = user("u-bob", "bob", "Bob Ross");

let hide: () => void = () => undefined;
function Dots() {
  const [showBob, setShowBob] = useState(true);
  hide = () => setShowBob(false);
  return (
    <div>
      <span data-testid="a1">
        <PresenceDot userId={alice.id} />
      </span>
      <span data-testid="a2">
        <PresenceDot userId={alice.id} />
      </span>
      {showBob ? <PresenceDot userId={bob.id} /> : null}
      <PresenceDot userId={me.id} self />
    </div>
  );
}

describe("PresenceDot", () => {
  test("the users on screen are watched (once each, not oneself), their presence shows, hidden ones are unwatched", async () => {
    const f = await chatFixture({ me, users: [alice, bob] });
    f.render(<Dots />);
    await waitFor(() => expect(f.worker.calls("watchPresence")).toEqual([["watchPresence", [[alice.id, bob.id]]]]));
    expect(screen.getAllByRole("img", { name: "offline" }).length).toBeGreaterThanOrEqual(3);
    act(() =>
      f.worker.push({
        t: "events",
        batch: [
          ["presence", { userId: alice.id, status: "online" }],
          ["presence", { userId: bob.id, status: "away" }],
        ],
      }),
    );
    await waitFor(() => expect(screen.getByTestId("a1").querySelector(".presence")!.getAttribute("aria-label")).toBe("online"));
    expect(screen.getByTestId("a2").querySelector(".presence")!.getAttribute("aria-label")).toBe("online");
    expect(screen.getByRole("img", { name: "away" })).toBeTruthy();
    act(() => hide());
    await waitFor(() => expect(f.worker.calls("watchPresence").at(-1)).toEqual(["watchPresence", [[alice.id]]]));
  });
});
