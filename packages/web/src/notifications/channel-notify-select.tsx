/** The channel header's notification override (issue 13): default, all, mentions, nothing or muted for this channel. */
import { useEffect, useState } from "react";
import type { ChannelNotifyLevel } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";

const OPTIONS: Array<{ value: ChannelNotifyLevel; label: string }> = [
  { value: "default", label: "Notify: my default" },
  { value: "all", label: "Notify: all messages" },
  { value: "mentions", label: "Notify: mentions" },
  { value: "nothing", label: "Notify: nothing" },
  { value: "muted", label: "Muted" },
];

export function ChannelNotifySelect(props: { channelId: string }) {
  const api = useChat().client.api;
  const [level, setLevel] = useState<ChannelNotifyLevel>();
  useEffect(() => {
    api.call("getNotificationSettings").then(
      (s) => setLevel(s.channels.find((c) => c.channelId === props.channelId)?.level ?? "default"),
      () => setLevel("default"),
    );
  }, [api, props.channelId]);
  if (!level) return null;
  return (
    <select
      aria-label="Notifications for this channel"
      value={level}
      onChange={(e) => {
        const next = e.target.value as ChannelNotifyLevel;
        api.call("setChannelNotifications", { params: { channelId: props.channelId }, body: { level: next } }).then(
          (s) => setLevel(s.channels.find((c) => c.channelId === props.channelId)?.level ?? "default"),
          () => undefined,
        );
      }}
    >
      {OPTIONS.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}
