/** The controls of a call in progress: mute, camera, screen share, device choice (microphone, camera, speaker), hang up. */
import { useEffect, useState, type ReactNode } from "react";
import { LocalMedia, type MediaDevice } from "./local-media.ts";
import { chooseSpeaker, chosenSpeaker, listSpeakers, speakerChoiceSupported, type Speaker } from "./speaker.ts";

export interface CallControlsProps {
  audioMuted: boolean;
  videoMuted: boolean;
  sharing: boolean;
  onToggleAudio: () => void;
  onToggleVideo: () => void;
  onToggleScreen: () => void;
  onHangUp: () => void;
  /** Microphones and cameras to pick from, and the ones in use; omitted: no device menu. */
  devices?: {
    list: () => Promise<MediaDevice[]>;
    current: (kind: MediaDevice["kind"]) => string | undefined;
    use: (kind: MediaDevice["kind"], id: string) => void;
  };
  /** More controls, before Hang up (e.g. Record). */
  children?: ReactNode;
}

export function CallControls(props: CallControlsProps) {
  const [settings, setSettings] = useState(false);
  return (
    <div className="call-controls" role="toolbar" aria-label="Call controls">
      <button type="button" aria-pressed={props.audioMuted} onClick={props.onToggleAudio}>
        {props.audioMuted ? "Unmute" : "Mute"}
      </button>
      <button type="button" aria-pressed={props.videoMuted} onClick={props.onToggleVideo}>
        {props.videoMuted ? "Camera on" : "Camera off"}
      </button>
      <button type="button" aria-pressed={props.sharing} onClick={props.onToggleScreen}>
        {props.sharing ? "Stop sharing" : "Share screen"}
      </button>
      {props.devices ? (
        <button type="button" aria-expanded={settings} onClick={() => setSettings(!settings)}>
          Devices
        </button>
      ) : null}
      {props.children}
      <button type="button" className="danger hang-up" onClick={props.onHangUp}>
        Hang up
      </button>
      {settings && props.devices ? <DevicePicker {...props.devices} /> : null}
    </div>
  );
}

function DevicePicker(props: NonNullable<CallControlsProps["devices"]>) {
  const [devices, setDevices] = useState<MediaDevice[]>([]);
  const { list } = props;
  useEffect(() => {
    void list().then(setDevices, () => setDevices([]));
  }, [list]);
  const select = (kind: MediaDevice["kind"], label: string) => (
    <label>
      {label}
      <select value={props.current(kind) ?? ""} onChange={(e) => props.use(kind, e.target.value)}>
        {devices
          .filter((d) => d.kind === kind)
          .map((d) => (
            <option key={d.deviceId} value={d.deviceId}>
              {d.label}
            </option>
          ))}
      </select>
    </label>
  );
  return (
    <div className="device-picker">
      {select("audioinput", "Microphone")}
      {select("videoinput", "Camera")}
      <SpeakerPicker />
    </div>
  );
}

/** The audio output the call plays through; absent where the browser cannot choose it (no setSinkId) or lists no output besides the default. */
function SpeakerPicker() {
  const [speakers, setSpeakers] = useState<Speaker[]>([]);
  const [current, setCurrent] = useState(chosenSpeaker);
  const supported = speakerChoiceSupported();
  useEffect(() => {
    // "default" is the system default, offered as the first option.
    if (supported)
      void listSpeakers().then(
        (l) => setSpeakers(l.filter((s) => s.deviceId !== "default" && s.deviceId !== "")),
        () => setSpeakers([]),
      );
  }, [supported]);
  if (!supported || !speakers.length) return null;
  return (
    <label>
      Speaker
      <select
        value={speakers.some((s) => s.deviceId === current) ? current : ""}
        onChange={(e) => {
          setCurrent(e.target.value);
          void chooseSpeaker(e.target.value);
        }}
      >
        <option value="">System default</option>
        {speakers.map((s) => (
          <option key={s.deviceId} value={s.deviceId}>
            {s.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The device menu's sources for a call's LocalMedia. */
export function deviceSources(local: LocalMedia, use: (kind: MediaDevice["kind"], id: string) => void): NonNullable<CallControlsProps["devices"]> {
  return { list: LocalMedia.devices, current: (kind) => local.current(kind), use };
}
