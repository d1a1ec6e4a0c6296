/** The picture-in-picture view of a call while the user reads another conversation: the peer's video, the time, back to the call, hang up. */
import { navigate } from "../router.ts";
import type { CallStore } from "./call-store.ts";
import { callStatus, peerSharing } from "./call-status.ts";
import { useNow } from "./use-now.ts";
import { VideoView } from "./video-view.tsx";
import "./calls.css";

export function CallPip(props: { calls: CallStore }) {
  const { calls } = props;
  const now = useNow();
  const a = calls.active;
  if (!a) return null;
  const peer = a.peerUserId ? calls.host.userName(a.peerUserId) : "Call";
  return (
    <aside className="call-pip" aria-label="Call in progress">
      <VideoView stream={peerSharing(a) ? a.media.remoteScreen : a.media.remote} label={`${peer} video`} className="call-pip-video" />
      <div className="call-pip-bar">
        <span>
          {peer} · {callStatus(a, now)}
        </span>
        <button type="button" onClick={() => navigate(`/c/${a.channelId}`)}>
          Return to call
        </button>
        <button type="button" className="danger" onClick={() => void calls.hangUp()}>
          Hang up
        </button>
      </div>
    </aside>
  );
}
