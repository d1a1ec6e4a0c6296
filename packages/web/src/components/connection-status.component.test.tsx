import { afterEach, describe, expect, test, vi } from "vitest";
import { act, screen } from "@testing-library/react";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { ConnectionStatus } from "./connection-status.tsx";

const me = user("u-me", "me", "Me Myself");

async function setup() {
  const f = await chatFixture({ me, users: [] });
  // Fake clocks after sign-in: the countdown reads Date.now() and ticks on an interval.
  vi.useFakeTimers();
  f.render(<ConnectionStatus />);
  return f;
}

/** Let the store's next-frame notification and the countdown's interval run. */
const advance = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));

afterEach(() => {
  vi.useRealTimers();
});

describe("ConnectionStatus", () => {
  test("follows the connection: connecting, syncing, live", async () => {
    const f = await setup();
    const status = screen.getByRole("status");
    expect(status.textContent).toBe("Connecting…");
    f.connection({ state: "syncing", previous: "connecting" });
    await advance(20);
    expect(status.textContent).toBe("Syncing…");
    f.connection({ state: "live", previous: "syncing" });
    await advance(20);
    expect(status.textContent).toBe("Connected");
    expect(status.getAttribute("data-state")).toBe("live");
  });

  test("offline counts down to the next retry, then says it is reconnecting", async () => {
    const f = await setup();
    f.connection({ state: "offline", previous: "live", closeCode: 1006, retryInMs: 3_000 });
    await advance(20);
    const status = screen.getByRole("status");
    expect(status.textContent).toBe("Reconnecting in 3s…");
    expect(status.getAttribute("data-state")).toBe("offline");
    await advance(1_000);
    expect(status.textContent).toBe("Reconnecting in 2s…");
    await advance(1_000);
    expect(status.textContent).toBe("Reconnecting in 1s…");
    await advance(1_000);
    expect(status.textContent).toBe("Reconnecting…");
    f.connection({ state: "connecting", previous: "offline" });
    await advance(20);
    expect(status.textContent).toBe("Connecting…");
  });

  test("offline without a scheduled retry says Offline, with the queued sends", async () => {
    const f = await setup();
    f.connection({ state: "offline", previous: "live" });
    f.worker.push({ t: "state", pendingSends: 2, session: f.chat.client.session });
    await advance(20);
    expect(screen.getByRole("status").textContent).toBe("Offline · 2 queued");
    // Back live: queued sends are not announced (they are going out).
    f.connection({ state: "live", previous: "connecting" });
    await advance(20);
    expect(screen.getByRole("status").textContent).toBe("Connected");
  });

  test("a revoked session says Signed out", async () => {
    const f = await setup();
    f.connection({ state: "revoked", previous: "live", closeCode: 4403, reason: "device revoked" });
    await advance(20);
    expect(screen.getByRole("status").textContent).toBe("Signed out");
    expect(f.chat.ended).toBe("device revoked");
  });
});
