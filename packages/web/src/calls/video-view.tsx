/** A <video> showing a MediaStream (srcObject cannot be set through a React prop). */
import { useEffect, useRef } from "react";

export function VideoView(props: { stream: MediaStream; muted?: boolean; label: string; className?: string; mirrored?: boolean }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = ref.current;
    if (v && v.srcObject !== props.stream) v.srcObject = props.stream;
  }, [props.stream]);
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
