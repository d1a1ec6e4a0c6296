/**
 * What a desktop notification says about a message, made on the device from its decrypted copy
 * (the server and any push service see only channel, seq and sender). Pure: names come in.
 */
import type { ReceivedEvent } from "@parley/sdk";

/** The longest notification body, in characters (the OS truncates further). */
const MAX_BODY = 180;

/** Title, body and the data a click needs. */
export interface MessageNotice {
  title: string;
  body: string;
  /** One notification per message: an in-tab one and a push for the same message replace each other. */
  tag: string;
  data: { channelId: string; seq: number; threadRoot: number | null };
}

/** The channel as a notification names it. */
export interface NoticeChannel {
  kind: "public" | "private" | "dm" | "group_dm" | string;
  /** The channel's name, or for a group DM its members' names. */
  title: string;
}

/** The notification tag of message `seq` in `channelId`. */
const noticeTag = (channelId: string, seq: number): string => `parley:${channelId}:${seq}`;

/** The path that shows message `seq` (in its thread when it is a reply). */
export function messagePath(channelId: string, seq: number, threadRoot: number | null): string {
  const c = `/c/${encodeURIComponent(channelId)}`;
  return threadRoot ? `${c}?thread=${threadRoot}&at=${seq}` : `${c}?at=${seq}`;
}

/** Message text as one short line: markdown markers and runs of white space dropped. */
export function plainLine(text: string): string {
  const line = text
    .replace(/```[\s\S]*?```/g, " [code] ")
    .replace(/[*_~`>#]+/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return line.length > MAX_BODY ? `${line.slice(0, MAX_BODY - 1)}…` : line;
}

/** The notification of a decrypted message from `sender` in `channel`. */
export function messageNotice(e: ReceivedEvent, sender: string, channel: NoticeChannel): MessageNotice {
  const title =
    channel.kind === "dm"
      ? sender
      : channel.kind === "group_dm"
        ? `${sender} in ${channel.title}`
        : `${sender}${e.threadRoot ? " replied" : ""} in #${channel.title}`;
  const text = e.text ? plainLine(e.text) : "";
  return {
    title,
    body: text || "Sent an attachment",
    tag: noticeTag(e.channelId, e.seq),
    data: { channelId: e.channelId, seq: e.seq, threadRoot: e.threadRoot },
  };
}
