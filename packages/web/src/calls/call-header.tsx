/**
 * A conversation header's call part: in a DM, the button that starts a call; in a channel or a
 * group DM, the button that starts its group call (a group DM's rings its other members); while the
 * conversation has a call, a bar saying so (this device's call: its time and Hang up; another's:
 * who is in it, and Join in a channel or group DM).
 */
import type { MyChannel } from "@parley/protocol";
import { useCalls } from "./use-calls.ts";
import { callStatus } from "./call-status.ts";
import { useNow } from "./use-now.ts";
import "./calls.css";

const START_TITLE: Partial<Record<MyChannel["kind"], string>> = {
  dm: "Call (end-to-end encrypted)",
  group_dm: "Call everyone in this conversation (end-to-end encrypted)",
};

export function CallHeader(props: { channel: Pick<MyChannel, "id" | "kind" | "archived"> }) {
  const calls = useCalls();
  const now = useNow();
  if (!calls) return null;
  const c = props.channel;
  const mine = calls.active?.channelId === c.id ? calls.active : undefined;
  const ongoing = calls.ongoing.get(c.id);
  // Group calls (through the SFU): a channel's, and a group DM's (which the server makes ring the other members).
  const group = c.kind === "public" || c.kind === "private" || c.kind === "group_dm";
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
        {group && !c.archived ? (
          <button type="button" className="call-join" disabled={!!calls.active} onClick={() => void calls.joinChannel(c.id)}>
            Join call
          </button>
        ) : null}
      </div>
    );
  if (c.archived || (c.kind !== "dm" && !group)) return null;
  const title = START_TITLE[c.kind] ?? "Start a call in this channel (end-to-end encrypted)";
  return (
    <button
      type="button"
      className="call-start"
      aria-label="Start call"
      title={title}
      disabled={!!calls.active}
      onClick={() => void (group ? calls.joinChannel(c.id) : calls.call(c.id))}
    >
      Call
    </button>
  );
}
