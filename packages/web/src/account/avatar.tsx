/**
 * A user's profile picture, or their initials when they have none. The image is fetched
 * by the client worker with the session (GET /users/:id/avatar is authenticated, so an
 * <img src> to the API cannot load it) and shown through an object URL, refetched when
 * the user's avatar version changes and revoked when it is replaced or unmounted.
 */
import { useEffect, useState } from "react";
import type { User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import "./account.css";

/** Up to two initials of a display name. */
function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]!, words[words.length - 1]!] : words;
  return letters.map((w) => [...w][0]!.toUpperCase()).join("") || "?";
}

export function Avatar(props: { user: Pick<User, "id" | "displayName" | "avatar">; size?: number }) {
  const chat = useChat();
  const { id, avatar } = props.user;
  const [url, setUrl] = useState<string>();
  const size = props.size ?? 32;

  useEffect(() => {
    if (!avatar) return setUrl(undefined);
    let live = true;
    let made: string | undefined;
    chat.client.avatar(id).then(
      (img) => {
        if (!live) return;
        made = img ? URL.createObjectURL(new Blob([img.bytes as Uint8Array<ArrayBuffer>], { type: img.type })) : undefined;
        setUrl(made);
      },
      () => live && setUrl(undefined),
    );
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [chat, id, avatar]);

  const style = { width: size, height: size, fontSize: Math.round(size * 0.4) };
  return url ? (
    <img className="avatar" src={url} alt="" style={style} data-testid="avatar-image" />
  ) : (
    <span className="avatar avatar-initials" aria-hidden="true" style={style}>
      {initials(props.user.displayName)}
    </span>
  );
}
