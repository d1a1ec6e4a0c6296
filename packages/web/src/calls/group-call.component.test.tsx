import { describe, expect, test, vi } from "vitest";
import { fireEvent, screen } from "@testing-library/react";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { ChatContext } from "../client/use-chat.ts";
import { GroupTile, type GroupTileProps } from "./group-tile.tsx";

const me = user("u-me", "me", "Me Myself");
const bob = user("u-bob", "bob", "Bob Member");

async function tile(props: Partial<GroupTileProps>) {
  const f = await chatFixture({ me, users: [bob] });
  const onPin = vi.fn();
  const base: GroupTileProps = {
    deviceId: "dev-bob",
    user: bob,
    self: false,
    video: undefined,
    audioMuted: false,
    videoMuted: false,
    handRaised: false,
    speaking: false,
    active: false,
    pinned: false,
    onPin,
  };
  const view = f.render(<GroupTile {...base} {...props} />);
  const rerender = (p: Partial<GroupTileProps>) =>
    view.rerender(
      <ChatContext.Provider value={f.chat}>
        <GroupTile {...base} {...props} {...p} />
      </ChatContext.Provider>,
    );
  return { onPin, rerender };
}

describe("group call tile", () => {
  test("without video: the avatar and name; mute, camera-off and raised-hand marks as the participant's state says", async () => {
    const { rerender } = await tile({});
    const fig = screen.getByRole("figure", { name: "Bob Member" });
    expect(fig.querySelector("video")).toBeNull();
    expect(fig.textContent).toContain("BM");
    expect(screen.queryByRole("img", { name: "Hand raised" })).toBeNull();
    expect(screen.queryByText("Muted")).toBeNull();
    rerender({ audioMuted: true, videoMuted: true, handRaised: true, speaking: true });
    expect(screen.getByRole("img", { name: "Hand raised" })).toBeTruthy();
    expect(screen.getByText("Muted")).toBeTruthy();
    expect(screen.getByText("Camera off")).toBeTruthy();
    expect(screen.getByRole("figure", { name: "Bob Member" }).dataset.speaking).toBe("true");
  });

  test("media that arrives but does not decrypt here: the tile says so, and stops saying it once frames open", async () => {
    const { rerender } = await tile({});
    expect(screen.queryByText("Can't decrypt")).toBeNull();
    rerender({ undecryptable: true });
    const mark = screen.getByRole("status");
    expect(mark.textContent).toBe("Can't decrypt");
    expect(mark.getAttribute("title")).toMatch(/cannot decrypt it/);
    rerender({ undecryptable: false });
    expect(screen.queryByText("Can't decrypt")).toBeNull();
  });

  test("with video: a muted, labelled video (audio plays elsewhere); this device's own tile says so and is mirrored", async () => {
    await tile({ video: {} as MediaStream, self: true });
    const fig = screen.getByRole("figure", { name: "Bob Member (you)" });
    const video = fig.querySelector("video")!;
    expect(video.getAttribute("aria-label")).toBe("Bob Member video");
    expect(video.muted).toBe(true);
    expect(video.className).toContain("mirrored");
  });

  test("pin: the button says what it does and shows the pinned state", async () => {
    const { onPin, rerender } = await tile({});
    fireEvent.click(screen.getByRole("button", { name: "Pin Bob Member" }));
    expect(onPin).toHaveBeenCalledTimes(1);
    rerender({ pinned: true, large: true });
    expect(screen.getByRole("button", { name: "Unpin Bob Member" }).getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByRole("figure", { name: "Bob Member" }).className).toContain("large");
  });
});
