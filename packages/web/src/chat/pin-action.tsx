/** The message menu's pin / unpin button (members who may post; the server checks again and its refusal shows beside it). */
import { useState } from "react";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { Icon } from "../components/icon.tsx";
import { usePinBoard } from "./pins.ts";

export function PinAction(props: { channelId: string; seq: number }) {
  const chat = useChat();
  const board = usePinBoard(chat);
  const [error, setError] = useState<string>();
  const pinned = board.isPinned(props.channelId, props.seq);
  return (
    <>
      <button
        type="button"
        className="icon"
        aria-label={pinned ? "Unpin message" : "Pin message"}
        aria-pressed={pinned}
        title={pinned ? "Unpin" : "Pin to this channel"}
        onClick={() => {
          setError(undefined);
          void board.setPinned(props.channelId, props.seq, !pinned).catch((err: unknown) => setError(describeError(err)));
        }}
      >
        <Icon name="pin" />
      </button>
      {error ? (
        <span className="form-error" role="alert">
          {error}
        </span>
      ) : null}
    </>
  );
}
