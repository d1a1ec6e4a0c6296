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
  const sharing = peerSharing(a);
  return (
    <aside className="call-pip" aria-label="Call in progress">
      {/* The camera's element plays the peer's audio, so it stays (hidden) while their screen shows. */}
      {sharing ? <VideoView stream={a.media.remoteScreen} label={`${peer} screen`} className="call-pip-video" /> : null}
      <VideoView stream={a.media.remote} label={`${peer} video`} className={sharing ? "call-pip-hidden" : "call-pip-video"} />
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
