/** Drop files anywhere on the channel to send them; an overlay says so while dragging. */
import "./features.css";
import { useRef, useState, type ReactNode } from "react";
import { useChat } from "../client/use-chat.ts";
import { startUploads } from "./uploads.ts";

const hasFiles = (e: React.DragEvent) => [...e.dataTransfer.types].includes("Files");

export function DropZone(props: { channelId: string; title: string; disabled?: boolean; children: ReactNode }) {
  const chat = useChat();
  const [over, setOver] = useState(false);
  // dragenter/dragleave fire for every child: count them so the overlay does not flicker.
  const depth = useRef(0);
  if (props.disabled) return <>{props.children}</>;
  return (
    <div
      className="drop-zone"
      onDragEnter={(e) => {
        if (!hasFiles(e)) return;
        depth.current++;
        setOver(true);
      }}
      onDragLeave={() => {
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setOver(false);
      }}
      onDragOver={(e) => {
        if (hasFiles(e)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = "copy";
        }
      }}
      onDrop={(e) => {
        e.preventDefault();
        depth.current = 0;
        setOver(false);
        const files = [...e.dataTransfer.files];
        if (files.length) startUploads(chat, props.channelId, files);
      }}
    >
      {props.children}
      {over ? (
        <div className="drop-overlay" role="status">
          Drop to send to {props.title} — encrypted on this device
        </div>
      ) : null}
    </div>
  );
}
