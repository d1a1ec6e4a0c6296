import { describe, expect, test } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import { CallHealthLine } from "./call-health.tsx";
import { emptyLinkStats, type LinkStats } from "./link-stats.ts";

function sample(received: number, lost: number, decrypted: number, authFailed: number): LinkStats {
  const sframe = { encrypted: 0, decrypted, dropped: authFailed, reasons: { auth_failed: authFailed }, senders: {}, epochs: [1] };
  return { ...emptyLinkStats(sframe), localCandidateType: "relay", roundTripTime: 0.03, packetsReceived: received, packetsLost: lost };
}

/** A figures source: each poll adds `per` (packets, lost, decrypted, auth failures) to the totals; the test may change `per`. */
function source(per: { received: number; lost: number; decrypted: number; authFailed: number }) {
  const total = { received: 0, lost: 0, decrypted: 0, authFailed: 0 };
  const poll = () => {
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += per[k];
    return Promise.resolve(sample(total.received, total.lost, total.decrypted, total.authFailed));
  };
  return { per, poll };
}

describe("call health line", () => {
  test("nothing until two samples; then the quality with its figures", async () => {
    const s = source({ received: 99, lost: 1, decrypted: 50, authFailed: 0 });
    render(<CallHealthLine stats={s.poll} pollMs={30} />);
    expect(screen.queryByTestId("call-quality")).toBeNull();
    const q = await screen.findByTestId("call-quality");
    expect(q.dataset.quality).toBe("good");
    expect(q.textContent).toContain("Good connection");
    expect(q.getAttribute("title")).toBe("round trip 30 ms · 1.0 % packets lost · through the relay server");
    expect(screen.queryByTestId("call-keys-stale")).toBeNull();
  });

  test("a poor connection, then media that does not decrypt is explained", async () => {
    const s = source({ received: 50, lost: 50, decrypted: 20, authFailed: 0 });
    render(<CallHealthLine stats={s.poll} pollMs={30} />);
    await waitFor(() => expect(screen.getByTestId("call-quality").dataset.quality).toBe("poor"));
    expect(screen.queryByRole("alert")).toBeNull();
    Object.assign(s.per, { lost: 0, decrypted: 0, authFailed: 40 });
    await waitFor(() => expect(screen.getByRole("alert").textContent).toContain("cannot decrypt it"));
    expect(screen.getByTestId("call-quality").dataset.quality).toBe("good");
    Object.assign(s.per, { decrypted: 30, authFailed: 0 });
    await waitFor(() => expect(screen.queryByRole("alert")).toBeNull());
  });
});
