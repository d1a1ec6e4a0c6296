/**
 * A conversation header's call part: in a DM, the button that starts a call; while the channel has
 * a call, a bar saying so (this device's call: its time and Hang up; another's: who is in it).
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
      </div>
    );
  if (c.kind !== "dm" || c.archived) return null;
  return (
    <button
      type="button"
      className="call-start"
      aria-label="Start call"
      title="Call (end-to-end encrypted)"
      disabled={!!calls.active}
      onClick={() => void calls.call(c.id)}
    >
      Call
    </button>
  );
}
