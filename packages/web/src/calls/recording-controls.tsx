/**
 * Recording in the call screen (docs/calls.md, "Recording"): the Record button — only where the
 * org allows recording (`GET /org/call-policy`) — and, for every participant, who records now
 * ("Recording — Alice"), from the participants' `recording` flags the server sends in `call.state`.
 */
import { useEffect, useState, useSyncExternalStore } from "react";
import type { Call } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import type { CallStore } from "./call-store.ts";
import { RecordingSession } from "./recording-session.ts";

/**
 * Whether the org allows recording calls (false until the server said so); asked again after each
 * start and stop (`version`: an admin may have turned recording off, which stops recordings).
 */
function useRecordingAllowed(calls: CallStore, version: number): boolean {
  const [allowed, setAllowed] = useState(false);
  const api = calls.host.client.api;
  useEffect(() => {
    let live = true;
    api.call("getCallPolicy").then(
      (p) => live && setAllowed(p.recordingAllowed),
      () => live && setAllowed(false),
    );
    return () => {
      live = false;
    };
  }, [api, version]);
  return allowed;
}

function useRecordingSession(calls: CallStore): RecordingSession {
  const session = RecordingSession.of(calls);
  useSyncExternalStore(session.subscribe, session.getVersion);
  return session;
}

/** Record / Stop recording, for the call controls; nothing where the org does not allow recording. */
export function RecordButton(props: { calls: CallStore }) {
  const { calls } = props;
  const chat = useChat();
  const session = useRecordingSession(calls);
  const allowed = useRecordingAllowed(calls, session.version);
  const a = calls.active;
  const mine = session.recordingCall(a);
  if (!a?.callId || (!allowed && !mine && !session.error)) return null;
  return (
    <>
      {allowed || mine ? (
        <button
          type="button"
          className={mine ? "recording" : undefined}
          aria-pressed={mine}
          disabled={session.busy}
          title="Recorded on this device and posted in the conversation, encrypted; everyone in the call sees that you record"
          onClick={() => void (mine ? session.stop(chat) : session.start(chat))}
        >
          {mine ? "Stop recording" : "Record"}
        </button>
      ) : null}
      {session.error ? (
        <span className="form-error" role="alert">
          {session.error}
        </span>
      ) : null}
    </>
  );
}

/** "Recording — Alice, Bob" while anyone in the call records; nothing otherwise. */
export function RecordingIndicator(props: { call: Call | undefined; userName: (userId: string) => string }) {
  const who = [...new Set((props.call?.participants ?? []).filter((p) => p.recording).map((p) => p.userId))];
  if (!who.length) return null;
  return (
    <span className="call-recording" data-testid="call-recording" aria-live="polite">
      <span className="call-recording-dot" aria-hidden="true" /> Recording — {who.map(props.userName).join(", ")}
    </span>
  );
}
