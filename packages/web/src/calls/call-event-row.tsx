/**
 * A call's event in the timeline (issue 14), as one compact system row instead of a message:
 * "Alice started a call · Join" while it rings this device, "Call ended · 4 min · Alice, Bob",
 * "Missed call from Alice · Call back". The events are encrypted messages posted by the call's
 * devices (sdk call-events.ts); the names come from the content, not from who posted it.
 */
import { formatCallDuration, type CallEventContent, type TimelineMessage } from "@parley/sdk";
import { useChat } from "../client/use-chat.ts";
import { useCalls } from "./use-calls.ts";
import "./call-events.css";

function time(ts: number): string {
  return new Date(ts).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** The row's words, from the viewer's side (`you`: the viewer's user id). */
export function callEventLine(call: CallEventContent, name: (userId: string) => string, you: string, posterId: string): string {
  const caller = call.startedBy ?? posterId;
  const who = caller === you ? "You" : name(caller);
  if (call.event === "started") return `${who} started a call`;
  if (call.event === "ended") {
    const people = (call.participants ?? []).map(name).join(", ");
    return ["Call ended", call.durationMs !== undefined ? formatCallDuration(call.durationMs) : "", people].filter(Boolean).join(" · ");
  }
  if (call.reason === "declined") return caller === you ? "Call declined" : `You declined a call from ${name(caller)}`;
  if (call.reason === "busy") return caller === you ? "Call not answered: busy" : `Missed call from ${name(caller)} (busy)`;
  return caller === you ? "Call not answered" : `Missed call from ${name(caller)}`;
}

export function CallEventRow(props: { channelId: string; m: TimelineMessage; call: CallEventContent }) {
  const chat = useChat();
  const calls = useCalls();
  const { m, call, channelId } = props;
  const line = callEventLine(call, (id) => chat.userName(id), chat.me.id, m.senderId);
  const ongoing = calls?.ongoing.get(channelId);
  const active = call.event === "started" && ongoing?.id === call.callId && !ongoing.endedAt;
  // Join: the call rings this device (a DM's or group DM's call); a call this device is in needs no button.
  const joinable = active && calls?.incoming?.callId === call.callId && !calls.active;
  const caller = call.startedBy ?? m.senderId;
  const channel = chat.channel(channelId);
  const ringing = channel?.kind === "dm" || channel?.kind === "group_dm";
  const callBack = call.event === "missed" && caller !== chat.me.id && ringing && !channel.archived && calls && !calls.active;
  return (
    <article className={`msg call-event call-event-${call.event}`} data-seq={m.seq} aria-label={`${line} at ${time(m.createdAt)}`}>
      <span className="call-event-icon" aria-hidden="true">
        {call.event === "missed" ? "↙" : "📞"}
      </span>
      <span className="call-event-line">{line}</span>
      {active && !joinable ? <span className="call-event-live"> · in progress</span> : null}
      {joinable ? (
        <>
          {" · "}
          <button type="button" className="link" onClick={() => void calls.accept()}>
            Join
          </button>
        </>
      ) : null}
      {callBack ? (
        <>
          {" · "}
          <button type="button" className="link" onClick={() => void (channel.kind === "group_dm" ? calls.joinChannel(channelId) : calls.call(channelId))}>
            Call back
          </button>
        </>
      ) : null}
      <time dateTime={new Date(m.createdAt).toISOString()}>{time(m.createdAt)}</time>
    </article>
  );
}
