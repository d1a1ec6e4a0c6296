/** One participant of a group call: their camera (or avatar and name), verified, mute, camera-off and raised-hand marks, speaking highlight, pin. */
import type { User } from "@parley/protocol";
import { Avatar } from "../account/avatar.tsx";
import { Icon } from "../components/icon.tsx";
import { VideoView } from "./video-view.tsx";
import type { ParticipantTrust } from "./call-trust.ts";
import { TrustBadge } from "./call-trust-panel.tsx";

export interface GroupTileProps {
  deviceId: string;
  user: Pick<User, "id" | "displayName" | "avatar">;
  self: boolean;
  /** The camera to show; undefined: the avatar instead (camera off, none received yet, audio-only). */
  video: MediaStream | undefined;
  audioMuted: boolean;
  videoMuted: boolean;
  handRaised: boolean;
  speaking: boolean;
  active: boolean;
  pinned: boolean;
  large?: boolean;
  /** Whether you verified them and know this device (call-trust.ts); omitted: no mark. */
  trust?: ParticipantTrust;
  /** Their media arrives but this device cannot decrypt it (it lacks their keys). */
  undecryptable?: boolean;
  onPin: () => void;
}

export function GroupTile(props: GroupTileProps) {
  const name = props.self ? `${props.user.displayName} (you)` : props.user.displayName;
  return (
    <figure
      className={`group-tile${props.large ? " large" : ""}`}
      aria-label={name}
      data-device={props.deviceId}
      data-speaking={props.speaking || undefined}
      data-active={props.active || undefined}
    >
      {props.video ? (
        <VideoView stream={props.video} muted mirrored={props.self} label={`${props.user.displayName} video`} className="group-video" />
      ) : (
        <div className="group-avatar">
          <Avatar user={props.user} size={props.large ? 96 : 56} />
        </div>
      )}
      <figcaption>
        <span className="group-name">{name}</span>
        {props.trust ? <TrustBadge trust={props.trust} /> : null}
        {props.handRaised ? (
          <span className="group-mark hand" role="img" aria-label="Hand raised" title="Hand raised">
            ✋
          </span>
        ) : null}
        {props.audioMuted ? (
          <span className="group-mark" title="Microphone off">
            Muted
          </span>
        ) : null}
        {props.videoMuted ? (
          <span className="group-mark" title="Camera off">
            Camera off
          </span>
        ) : null}
        {props.undecryptable ? (
          <span
            className="group-mark warn"
            role="status"
            title="Their media arrives but this device cannot decrypt it: one of you has not caught up with the conversation's encryption yet"
          >
            Can't decrypt
          </span>
        ) : null}
      </figcaption>
      <button
        type="button"
        className="icon group-pin"
        aria-pressed={props.pinned}
        aria-label={props.pinned ? `Unpin ${props.user.displayName}` : `Pin ${props.user.displayName}`}
        title={props.pinned ? "Unpin" : "Pin (show large)"}
        onClick={props.onPin}
      >
        <Icon name="pin" />
      </button>
    </figure>
  );
}
