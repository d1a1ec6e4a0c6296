import { useEffect, useMemo, useState } from "react";
import { useChat } from "../client/use-chat.ts";

const LABEL = { connecting: "Connecting…", syncing: "Syncing…", live: "Connected", offline: "Offline", revoked: "Signed out", closed: "Disconnected" } as const;

/** The realtime connection's state; offline counts down to the next automatic retry ("Reconnecting in 3s…"). */
export function ConnectionStatus() {
  const chat = useChat();
  const c = chat.connection;
  // When this change arrived: the SDK reports the retry delay, not its due time.
  const due = useMemo(() => (c.state === "offline" && c.retryInMs !== undefined ? Date.now() + c.retryInMs : undefined), [c]);
  const [, tick] = useState(0);
  useEffect(() => {
    if (due === undefined) return;
    const t = setInterval(() => tick((n) => n + 1), 250);
    return () => clearInterval(t);
  }, [due]);
  const left = due !== undefined ? Math.ceil((due - Date.now()) / 1000) : undefined;
  const label = left === undefined ? LABEL[c.state] : left > 0 ? `Reconnecting in ${left}s…` : "Reconnecting…";
  const pending = chat.client.pendingSends;
  return (
    <div className={`conn conn-${c.state}`} role="status" aria-live="polite" data-state={c.state}>
      <span className="conn-dot" aria-hidden="true" />
      {label}
      {pending > 0 && c.state !== "live" ? ` · ${pending} queued` : ""}
    </div>
  );
}
