/**
 * The in-call screen of a channel's group call (docs/calls.md, "Web app"): a grid of participant
 * tiles; a speaker view (the active speaker large, or the pinned participant); a shared screen
 * large for everyone while someone shares; raise hand, audio-only, and the call controls.
 */
import { useEffect, useState } from "react";
import type { CallParticipant } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { CallControls, deviceSources } from "./call-controls.tsx";
import { EncryptionIndicator } from "./call-screen.tsx";
import { useCallTrust } from "./call-trust.ts";
import { CallParticipantsPanel } from "./call-trust-panel.tsx";
import { RecordButton, RecordingIndicator } from "./recording-controls.tsx";
import { CallHealthLine } from "./call-health.tsx";
import type { ActiveCall, CallStore } from "./call-store.ts";
import { callStatus } from "./call-status.ts";
import type { GroupMedia } from "./group-media.ts";
import { AUDIO_ONLY_ABOVE } from "./group-streams.ts";
import { GroupTile } from "./group-tile.tsx";
import { useNow } from "./use-now.ts";
import { VideoView } from "./video-view.tsx";
import "./group-call.css";

type Layout = "grid" | "speaker";

export function GroupCallScreen(props: { calls: CallStore; call: ActiveCall; media: GroupMedia }) {
  const { calls, call: a, media } = props;
  const chat = useChat();
  const now = useNow();
  const [layout, setLayout] = useState<Layout>("grid");
  const [pinned, setPinned] = useState<string>();
  const own = calls.host.client.session?.deviceId ?? "";
  const me = calls.host.client.session?.userId ?? calls.host.me.id;
  const present = a.call?.participants ?? [];
  const people: CallParticipant[] = present.some((p) => p.deviceId === own)
    ? present
    : [
        {
          userId: me,
          deviceId: own,
          joinedAt: 0,
          audioMuted: media.audioMuted,
          videoMuted: media.videoMuted,
          screenSharing: false,
          handRaised: false,
          recording: false,
        },
        ...present,
      ];
  const userOf = (userId: string) => chat.users.get(userId) ?? { id: userId, displayName: calls.host.userName(userId), avatar: null };
  const sharer = people.find((p) => p.deviceId === media.sharingDevice);
  const shared = sharer && media.feeds.get(sharer.deviceId)?.screen;
  const pin = pinned && people.some((p) => p.deviceId === pinned) ? pinned : undefined;
  const speaker = media.activeSpeaker ?? people.find((p) => p.deviceId !== own)?.deviceId;
  const large = shared ? undefined : (pin ?? (layout === "speaker" ? speaker : undefined));
  const mine = people.find((p) => p.deviceId === own);
  // The large tile's camera comes in the high simulcast layer, the small ones in a low layer.
  const largeRemote = large === own ? undefined : large;
  useEffect(() => media.showLarge(largeRemote), [media, largeRemote]);
  const trust = useCallTrust(chat, people);
  const [panel, setPanel] = useState(false);

  const tile = (p: CallParticipant, big = false) => {
    const self = p.deviceId === own;
    const cameraOff = self ? media.videoMuted : p.videoMuted;
    const stream = self ? media.local.stream : media.feeds.get(p.deviceId)?.camera;
    const hasVideo = !!stream?.getVideoTracks().length && !cameraOff && !media.audioOnly;
    return (
      <GroupTile
        key={p.deviceId}
        deviceId={p.deviceId}
        user={userOf(p.userId)}
        self={self}
        video={hasVideo ? stream : undefined}
        audioMuted={self ? media.audioMuted : p.audioMuted}
        videoMuted={cameraOff}
        handRaised={p.handRaised}
        speaking={media.speaking.has(p.deviceId)}
        active={media.activeSpeaker === p.deviceId}
        pinned={pin === p.deviceId}
        large={big}
        trust={trust(p.userId, p.deviceId)}
        undecryptable={!self && media.undecryptable.has(p.deviceId)}
        onPin={() => setPinned(pin === p.deviceId ? undefined : p.deviceId)}
      />
    );
  };
  const focus = people.find((p) => p.deviceId === large);
  const layoutName = shared ? "screen" : focus ? "speaker" : "grid";
  return (
    <section className="call-screen group-call" aria-label="Call" data-layout={layoutName}>
      <div className="group-stage">
        {shared ? (
          <VideoView stream={shared} label={`${userOf(sharer.userId).displayName} screen`} className="group-screen-share" />
        ) : focus ? (
          tile(focus, true)
        ) : null}
        <div
          className={shared || focus ? "group-strip" : "group-grid"}
          style={shared || focus ? undefined : { gridTemplateColumns: `repeat(${Math.ceil(Math.sqrt(people.length))}, minmax(0, 1fr))` }}
        >
          {people.filter((p) => p !== focus).map((p) => tile(p))}
        </div>
      </div>
      <div className="call-info">
        <span className="call-status" role="status">
          {callStatus(a, now)} · {people.length} {people.length === 1 ? "person" : "people"}
        </span>
        {media.sharing ? <span>You are sharing your screen</span> : null}
        <EncryptionIndicator epoch={media.epoch} names={people.map((p) => userOf(p.userId).displayName)} expanded={panel} onToggle={() => setPanel(!panel)} />
        <RecordingIndicator call={a.call} userName={(id) => calls.host.userName(id)} />
        <CallHealthLine stats={() => calls.stats()} />
      </div>
      {panel ? <CallParticipantsPanel chat={chat} people={people} trust={trust} onClose={() => setPanel(false)} /> : null}
      <div className="call-controls group-controls" role="toolbar" aria-label="Group call">
        <button type="button" aria-pressed={!!mine?.handRaised} onClick={() => void calls.toggleHand()}>
          {mine?.handRaised ? "Lower hand" : "Raise hand"}
        </button>
        <button type="button" aria-pressed={layout === "speaker"} onClick={() => setLayout(layout === "grid" ? "speaker" : "grid")}>
          {layout === "grid" ? "Speaker view" : "Grid view"}
        </button>
        <button
          type="button"
          aria-pressed={media.audioOnly}
          title={`No video shown and the camera not sent; on by itself above ${AUDIO_ONLY_ABOVE} people`}
          onClick={() => void media.setAudioOnly(!media.audioOnly)}
        >
          Audio only
        </button>
      </div>
      <CallControls
        audioMuted={media.audioMuted}
        videoMuted={media.videoMuted}
        sharing={media.sharing}
        onToggleAudio={() => void calls.toggleAudio()}
        onToggleVideo={() => void calls.toggleVideo()}
        onToggleScreen={() => void calls.toggleScreen()}
        onHangUp={() => void calls.hangUp()}
        devices={deviceSources(media.local, (kind, id) => void calls.switchDevice(kind, id))}
      >
        <RecordButton calls={calls} />
      </CallControls>
    </section>
  );
}
