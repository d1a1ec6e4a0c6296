/**
 * The thread panel's Follow / Unfollow button (issue 13): the user's state in the thread as the
 * server has it, kept live from their other devices (the `thread` frame) and from replies that
 * follow them on the server (their own, or one mentioning them), which send no frame.
 */
import { useEffect, useState } from "react";
import "./features.css";
import { useChat } from "../client/use-chat.ts";

export function FollowThreadButton(props: { channelId: string; rootSeq: number }) {
  const chat = useChat();
  const { channelId, rootSeq } = props;
  const [following, setFollowing] = useState<boolean>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    setFollowing(undefined);
    const load = () =>
      void chat.client.api.call("getThreadState", { params: { channelId, rootSeq } }).then(
        (s) => live && setFollowing(s.following),
        () => undefined, // a root not loaded yet or a thread gone: no button
      );
    load();
    const offs = [
      chat.client.on("thread", (s) => {
        if (s.channelId === channelId && s.rootSeq === rootSeq) setFollowing(s.following);
      }),
      chat.client.on("event", (e) => {
        if (e.kind === "message" && e.channelId === channelId && e.threadRoot === rootSeq && (e.own || e.mentions.includes(chat.me.id))) load();
      }),
    ];
    return () => {
      live = false;
      for (const off of offs) off();
    };
  }, [chat, channelId, rootSeq]);
  if (following === undefined) return null;
  const toggle = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const params = { params: { channelId, rootSeq } };
      const s = await (following ? chat.client.api.call("unfollowThread", params) : chat.client.api.call("followThread", params));
      setFollowing(s.following);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className="follow-thread"
        aria-pressed={following}
        disabled={busy}
        title={following ? "Replies show in your inbox's Threads" : "Show this thread's replies in your inbox"}
        onClick={() => void toggle()}
      >
        {following ? "Unfollow" : "Follow"}
      </button>
      {error ? (
        <span role="alert" className="notice">
          {error}
        </span>
      ) : null}
    </>
  );
}
