/**
 * Desktop notifications for calls in a signed-in tab (issue 14), beside the message ones of
 * notifier.ts: a call ringing this user while the tab is in the background shows "Incoming call"
 * (a click brings the tab, where the incoming-call dialog is); when it stops ringing — answered
 * on some device, declined — that notification goes; when it rang out or the caller gave up while
 * the tab was still in the background, "Missed call" takes its place (same tag). The call's event messages (sdk call-events.ts) do not notify here a second time
 * (notifier.ts skips them).
 */
import type { CallEndedNotice, CallRinging } from "@parley/sdk";
import type { ChatStore } from "../client/chat-store.ts";
import type { MessageNotice } from "./message-notice.ts";
import { callTag, missedNotice, ringNotice } from "./call-notice.ts";

/** What the call notices need of the notifier. */
export interface CallNoticeDeps {
  chat: Pick<ChatStore, "client" | "channel" | "userName" | "channelTitle">;
  /** The tab is out of the user's sight. */
  background(): boolean;
  show(n: MessageNotice & { requireInteraction?: boolean }): Promise<void>;
}

/** Follow the calls of the signed-in client; returns the unsubscribe. */
export function watchCallNotices(d: CallNoticeDeps): () => void {
  const calls = d.chat.client.calls;
  /** Calls ringing this user, by id. */
  const ringing = new Map<string, CallRinging>();
  const facts = (channelId: string) => {
    const c = d.chat.channel(channelId);
    return { kind: c?.kind ?? "dm", title: c ? d.chat.channelTitle(c) : "" };
  };
  const onRing = (r: CallRinging) => {
    ringing.set(r.callId, r);
    if (d.background()) void d.show({ ...ringNotice(r, d.chat.userName(r.fromUserId), facts(r.channelId)), requireInteraction: true });
  };
  const onEnded = (e: CallEndedNotice) => {
    const r = ringing.get(e.callId);
    ringing.delete(e.callId);
    if (!r) return;
    if ((e.reason === "missed" || e.reason === "cancelled") && d.background()) void d.show(missedNotice(r, d.chat.userName(r.fromUserId), facts(r.channelId)));
    else void closeTagged(callTag(e.callId));
  };
  const onState = ({ call, change }: { call: { id: string }; change: { kind: string; userId: string } }) => {
    // Answered on one of this user's devices: stop showing the ring.
    if (change.kind === "joined" && ringing.has(call.id) && change.userId === d.chat.client.session?.userId) {
      ringing.delete(call.id);
      void closeTagged(callTag(call.id));
    }
  };
  const off = [calls.on("ringing", onRing), calls.on("ended", onEnded), calls.on("state", onState)];
  return () => {
    for (const f of off) f();
  };
}

async function closeTagged(tag: string): Promise<void> {
  try {
    const reg = "serviceWorker" in navigator ? await navigator.serviceWorker.getRegistration() : undefined;
    for (const n of (await reg?.getNotifications({ tag })) ?? []) n.close();
  } catch {
    // Nothing shown, or notifications unavailable.
  }
}
