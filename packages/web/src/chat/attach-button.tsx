/** The composer's paperclip: pick files to encrypt and send (several at once). */
import { useRef } from "react";
import { useChat } from "../client/use-chat.ts";
import { Icon } from "../components/icon.tsx";
import { startUploads } from "./uploads.ts";

export function AttachButton(props: { channelId: string; threadRoot?: number | null; disabled?: boolean }) {
  const chat = useChat();
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        className="icon attach"
        aria-label="Attach files"
        title="Attach files (encrypted on this device)"
        disabled={props.disabled}
        onClick={() => input.current?.click()}
      >
        <Icon name="clip" />
      </button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        aria-label="Choose files to attach"
        data-testid="file-input"
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          e.currentTarget.value = "";
          if (files.length) startUploads(chat, props.channelId, files, props.threadRoot ?? null);
        }}
      />
    </>
  );
}
