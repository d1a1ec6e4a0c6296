/**
 * The incoming-call dialog: who calls (and, for a group DM's call, who else is in the
 * conversation), Accept or Decline (the ring plays until either, or until the call ends).
 */
import { useEffect, useRef } from "react";

export function IncomingCallDialog(props: { callerName: string; video: boolean; with?: string[] | undefined; onAccept: () => void; onDecline: () => void }) {
  const accept = useRef<HTMLButtonElement>(null);
  useEffect(() => accept.current?.focus(), []);
  return (
    <div className="incoming-call" role="alertdialog" aria-modal="false" aria-labelledby="incoming-call-title" aria-describedby="incoming-call-what">
      <div className="incoming-avatar" aria-hidden="true">
        {props.callerName.slice(0, 1).toUpperCase()}
      </div>
      <div>
        <h2 id="incoming-call-title">{props.callerName}</h2>
        <p id="incoming-call-what" className="muted">
          {props.with?.length ? `Group call with ${props.with.join(", ")} · ` : ""}
          {props.video ? "Incoming call" : "Incoming voice call"} · end-to-end encrypted
        </p>
      </div>
      <div className="incoming-actions">
        <button type="button" className="danger" onClick={props.onDecline}>
          Decline
        </button>
        <button type="button" ref={accept} className="primary accept" onClick={props.onAccept}>
          Accept
        </button>
      </div>
    </div>
  );
}
