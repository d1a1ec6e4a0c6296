/** A <video> showing a MediaStream (srcObject cannot be set through a React prop); one that plays sound plays it through the chosen speaker. */
import { useEffect, useRef } from "react";
import { playThroughSpeaker } from "./speaker.ts";

export function VideoView(props: { stream: MediaStream; muted?: boolean; label: string; className?: string; mirrored?: boolean }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = ref.current;
    if (v && v.srcObject !== props.stream) v.srcObject = props.stream;
  }, [props.stream]);
  const audible = !props.muted;
  useEffect(() => (audible && ref.current ? playThroughSpeaker(ref.current) : undefined), [audible]);
  return (
    <video
      ref={ref}
      className={`${props.className ?? ""}${props.mirrored ? " mirrored" : ""}`}
      aria-label={props.label}
      autoPlay
      playsInline
      muted={props.muted ?? false}
    />
  );
}
