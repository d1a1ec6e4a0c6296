import { useEffect, useState } from "react";
import { useChat } from "../client/use-chat.ts";

const LABEL = { connecting: "Connecting…", syncing: "Syncing…", live: "Connected", offline: "Offline", revoked: "Signed out", closed: "Disconnected" } as const;

/** The realtime connection's state; offline shows when the next retry is due. */
export function ConnectionStatus() {
  const chat = useChat();
  const c = chat.connection;
  const [, tick] = useState(0);
  useEffect(() => {
    if (c.state !== "offline") return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [c.state]);
  const retry = c.state === "offline" && c.retryInMs ? ` — retrying` : "";
  const pending = chat.client.pendingSends;
  return (
    <div className={`conn conn-${c.state}`} role="status" aria-live="polite" data-state={c.state}>
      <span className="conn-dot" aria-hidden="true" />
      {LABEL[c.state]}{retry}{pending > 0 && c.state !== "live" ? ` · ${pending} queued` : ""}
    </div>
  );
}
