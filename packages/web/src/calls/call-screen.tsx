/**
 * The in-call screen of a 1:1 call, shown in its conversation: the peer's video (their screen,
 * large, while they share it), this device's self view, who is in the call and that the media is
 * end-to-end encrypted (with the MLS epoch whose keys are in use; it opens the participants panel),
 * whether you verified the peer (a mark on their video), and the controls.
 */
import { CallControls, deviceSources } from "./call-controls.tsx";
import type { CallStore } from "./call-store.ts";
import { callStatus, peerSharing, peerVideoMuted } from "./call-status.ts";
import { useNow } from "./use-now.ts";
import { VideoView } from "./video-view.tsx";
import { RecordButton, RecordingIndicator } from "./recording-controls.tsx";
import { CallHealthLine } from "./call-health.tsx";
import { Icon } from "../components/icon.tsx";
import { useChat } from "../client/use-chat.ts";
import { useCallTrust } from "./call-trust.ts";
import { CallParticipantsPanel, TrustBadge } from "./call-trust-panel.tsx";
import { useState } from "react";
import "./calls.css";

export function CallScreen(props: { calls: CallStore }) {
  const { calls } = props;
  const now = useNow();
  const chat = useChat();
  const a = calls.active;
  const people = a?.call?.participants ?? [];
  const trust = useCallTrust(chat, people);
  const [panel, setPanel] = useState(false);
  if (!a) return null;
  const peer = a.peerUserId ? calls.host.userName(a.peerUserId) : undefined;
  const sharing = peerSharing(a);
  const names = [
    calls.host.userName(calls.host.client.session?.userId ?? ""),
    ...(a.call?.participants ?? []).filter((p) => p.deviceId !== calls.host.client.session?.deviceId).map((p) => calls.host.userName(p.userId)),
  ];
  return (
    <section className="call-screen" aria-label="Call" data-phase={a.phase}>
      <div className="call-stage">
        {sharing ? <VideoView stream={a.media.remoteScreen} label={`${peer ?? "Their"} screen`} className="call-main" /> : null}
        <VideoView stream={a.media.remote} label={`${peer ?? "Their"} video`} className={sharing ? "call-inset" : "call-main"} />
        {peerVideoMuted(a) && !sharing ? <div className="call-camera-off">{peer ?? "They"} turned the camera off</div> : null}
        <VideoView stream={a.media.local.stream} muted mirrored label="Your video" className="call-self" />
        {a.peerUserId && a.peerDeviceId ? (
          <div className="call-peer-mark">
            <TrustBadge trust={trust(a.peerUserId, a.peerDeviceId)} />
          </div>
        ) : null}
        {a.media.sharing ? <p className="call-sharing-note">You are sharing your screen</p> : null}
      </div>
      <div className="call-info">
        <span className="call-status" role="status">
          {a.phase === "calling" ? `Calling ${peer ?? ""}…` : callStatus(a, now)}
        </span>
        <EncryptionIndicator epoch={a.media.epoch} names={names} expanded={panel} onToggle={() => setPanel(!panel)} />
        <RecordingIndicator call={a.call} userName={(id) => calls.host.userName(id)} />
        {a.phase === "calling" ? null : <CallHealthLine stats={() => calls.stats()} />}
      </div>
      {panel ? <CallParticipantsPanel chat={chat} people={people} trust={trust} onClose={() => setPanel(false)} /> : null}
      <CallControls
        audioMuted={a.media.audioMuted}
        videoMuted={a.media.videoMuted}
        sharing={a.media.sharing}
        onToggleAudio={() => void calls.toggleAudio()}
        onToggleVideo={() => void calls.toggleVideo()}
        onToggleScreen={() => void calls.toggleScreen()}
        onHangUp={() => void calls.hangUp()}
        devices={deviceSources(a.media.local, (kind, id) => void calls.switchDevice(kind, id))}
      >
        <RecordButton calls={calls} />
      </CallControls>
    </section>
  );
}

/** "End-to-end encrypted" and who is in the call, opening the participants panel; a warning while this device holds no keys. */
export function EncryptionIndicator(props: { epoch: bigint | null | undefined; names: string[]; expanded?: boolean; onToggle?: () => void }) {
  if (props.epoch === null)
    return (
      <span className="call-e2ee missing" role="alert">
        No media keys on this device: nothing is sent or shown
      </span>
    );
  return (
    <button
      type="button"
      className="call-e2ee"
      data-testid="call-e2ee"
      aria-expanded={props.expanded ?? false}
      aria-controls="call-participants"
      title={`${props.epoch === undefined ? "Loading keys…" : `Keys of MLS epoch ${props.epoch}`} · who is in the call, and whom you verified`}
      onClick={props.onToggle}
    >
      <Icon name="lock" /> End-to-end encrypted · {props.names.join(", ")}
    </button>
  );
}
