/**
 * The call's network quality line and, while media arrives that this device cannot open, why:
 * polled from the call's figures (`stats`, getStats + the SFrame worker's counters) every couple
 * of seconds, judged by call-health.ts. Shown on the 1:1 and the group call screens.
 */
import { useEffect, useRef, useState } from "react";
import { callHealth, type CallHealth } from "./call-health.ts";
import type { LinkStats } from "./link-stats.ts";

const POLL_MS = 2_000;

const LABEL = { good: "Good connection", fair: "Fair connection", poor: "Poor connection", unknown: "Connecting…" } as const;
const BARS = { good: 3, fair: 2, poor: 1, unknown: 0 } as const;

function detail(h: CallHealth): string {
  const parts: string[] = [];
  if (h.rtt !== undefined) parts.push(`round trip ${Math.round(h.rtt * 1000)} ms`);
  if (h.loss !== undefined) parts.push(`${(h.loss * 100).toFixed(1)} % packets lost`);
  if (h.relayed) parts.push("through the relay server");
  return parts.join(" · ");
}

export function CallHealthLine(props: { stats: () => Promise<LinkStats | undefined>; pollMs?: number }) {
  const { stats, pollMs = POLL_MS } = props;
  const [health, setHealth] = useState<CallHealth>();
  const prev = useRef<LinkStats | undefined>(undefined);
  // The screens pass a new arrow each render (they re-render every second): poll through a ref.
  const source = useRef(stats);
  source.current = stats;
  useEffect(() => {
    let live = true;
    const tick = async () => {
      const now = await source.current().catch(() => undefined);
      if (!live || !now) return;
      if (prev.current) setHealth(callHealth(prev.current, now));
      prev.current = now;
    };
    void tick();
    const t = setInterval(() => void tick(), pollMs);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [pollMs]);
  if (!health) return null;
  const d = detail(health);
  return (
    <>
      <span className="call-quality" data-testid="call-quality" data-quality={health.quality} title={d || undefined}>
        <span className="call-quality-bars" aria-hidden="true">
          {[1, 2, 3].map((i) => (
            <span key={i} className={i <= BARS[health.quality] ? "on" : ""} />
          ))}
        </span>
        {LABEL[health.quality]}
        {d ? <span className="sr-only"> ({d})</span> : null}
      </span>
      {health.keysStale ? (
        <span className="call-e2ee missing" role="alert" data-testid="call-keys-stale">
          Media is arriving but this device cannot decrypt it: it does not have the call's current keys yet (it is catching up with the conversation's
          encryption, or it is no longer a member)
        </span>
      ) : null}
    </>
  );
}
