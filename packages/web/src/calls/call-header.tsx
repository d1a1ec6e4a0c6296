/**
 * A conversation header's call part: in a DM, the button that starts a call; in a channel, the
 * button that starts its group call; while the conversation has a call, a bar saying so (this
 * device's call: its time and Hang up; another's: who is in it, and Join in a channel).
 */
import type { MyChannel } from "@parley/protocol";
import { useCalls } from "./use-calls.ts";
import { callStatus } from "./call-status.ts";
import { useNow } from "./use-now.ts";
import "./calls.css";

export function CallHeader(props: { channel: Pick<MyChannel, "id" | "kind" | "archived"> }) {
  const calls = useCalls();
  const now = useNow();
  if (!calls) return null;
  const c = props.channel;
  const mine = calls.active?.channelId === c.id ? calls.active : undefined;
  const ongoing = calls.ongoing.get(c.id);
  const channel = c.kind === "public" || c.kind === "private";
  if (mine)
    return (
      <div className="call-bar" role="status" aria-label="Call in this conversation">
        <span>In call · {callStatus(mine, now)}</span>
        <button type="button" className="danger" onClick={() => void calls.hangUp()}>
          Hang up
        </button>
      </div>
    );
  if (ongoing && !ongoing.endedAt)
    return (
      <div className="call-bar" role="status" aria-label="Call in this conversation">
        <span>
          Call in progress · {ongoing.participants.length} {ongoing.participants.length === 1 ? "person" : "people"}
        </span>
        {channel && !c.archived ? (
          <button type="button" className="call-join" disabled={!!calls.active} onClick={() => void calls.joinChannel(c.id)}>
            Join call
          </button>
        ) : null}
      </div>
    );
  if (c.archived || (c.kind !== "dm" && !channel)) return null;
  return (
    <button
      type="button"
      className="call-start"
      aria-label="Start call"
      title={channel ? "Start a call in this channel (end-to-end encrypted)" : "Call (end-to-end encrypted)"}
      disabled={!!calls.active}
      onClick={() => void (channel ? calls.joinChannel(c.id) : calls.call(c.id))}
    >
      Call
    </button>
  );
}
