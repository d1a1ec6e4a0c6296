/**
 * "Bob added a new device — verify": shown in a channel when a member's set
 * of devices grows after this device first saw it. Checked when the channel
 * opens, every 20 s while it is open, when the window regains focus and when
 * a message arrives from a device not seen before.
 */
import { useEffect, useState } from "react";
import { useChat } from "../client/use-chat.ts";
import { channelMemberIds, onChannelEvent } from "../client/extras.ts";
import { Icon } from "../components/icon.tsx";
import { VerifyDialog } from "./verify-dialog.tsx";
import { checkDevices, useDeviceWatch, watchChanged } from "./watch-store.ts";

const CHECK_EVERY_MS = 20_000;

export function NewDeviceBanner(props: { channelId: string; memberCount: number }) {
  const chat = useChat();
  const watch = useDeviceWatch(chat);
  const [members, setMembers] = useState<string[]>([]);
  const [verify, setVerify] = useState<string>();
  const { channelId, memberCount } = props;

  useEffect(() => {
    let live = true;
    let ids: string[] = [];
    const seenDevices = new Set<string>();
    const check = () => {
      void (async () => {
        ids = await channelMemberIds(chat, channelId);
        if (!live) return;
        setMembers(ids);
        await checkDevices(chat, ids);
      })().catch(() => {
        /* offline: the next tick retries */
      });
    };
    check();
    const t = setInterval(check, CHECK_EVERY_MS);
    addEventListener("focus", check);
    const off = onChannelEvent(chat, (e) => {
      if (e.channelId !== channelId || seenDevices.has(e.senderDeviceId)) return;
      seenDevices.add(e.senderDeviceId);
      check();
    });
    return () => {
      live = false;
      clearInterval(t);
      removeEventListener("focus", check);
      off();
    };
  }, [chat, channelId, memberCount]);

  const pending = watch.pending(members);
  const users = [...new Set(pending.map((d) => d.userId))];
  return (
    <>
      {users.map((userId) => {
        const n = pending.filter((d) => d.userId === userId).length;
        const who = userId === chat.me.id ? "You" : chat.userName(userId);
        return (
          <div key={userId} className="device-banner" role="alert">
            <Icon name="shield" />
            <span>
              {who} added {n === 1 ? "a new device" : `${n} new devices`} —{" "}
              <button type="button" className="link" onClick={() => setVerify(userId)}>
                verify
              </button>
            </span>
            <span className="spacer" />
            <button
              type="button"
              className="link"
              onClick={() => {
                watch.acknowledge(userId);
                watchChanged(chat);
              }}
              aria-label={`Dismiss the new-device warning for ${who}`}
            >
              Dismiss
            </button>
          </div>
        );
      })}
      {verify ? <VerifyDialog chat={chat} userId={verify} onClose={() => setVerify(undefined)} /> : null}
    </>
  );
}
