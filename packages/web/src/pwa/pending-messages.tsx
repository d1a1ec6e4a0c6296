/**
 * The user's own messages not yet acknowledged, shown above the composer:
 * "Queued" while offline (they go out on reconnect), "Sending…" while the
 * outbox retries, then "Sent" briefly once the server has them.
 */
import { useSyncExternalStore } from "react";
import type { PendingSends } from "./pending-sends.ts";

export function PendingMessages(props: { pending: PendingSends; channelId: string; threadRoot: number | null; online: boolean }) {
  const items = useSyncExternalStore(props.pending.subscribe, props.pending.snapshot).filter(
    (p) => p.channelId === props.channelId && p.threadRoot === props.threadRoot,
  );
  if (!items.length) return null;
  return (
    <ul className="pending-sends" aria-label="Messages not yet delivered">
      {items.map((p) => {
        const label = p.state === "sent" ? "Sent" : props.online ? "Sending…" : "Queued: sends when you are back online";
        return (
          <li key={p.id} className={`pending-send pending-${p.state}`} data-status={p.state}>
            <span className="pending-text">{p.text}</span>
            <span className="pending-state" role="status">
              {label}
            </span>
          </li>
        );
      })}
    </ul>
  );
}
