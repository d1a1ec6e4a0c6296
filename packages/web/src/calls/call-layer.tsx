/** What the shell shows of calls over any page: the incoming-call dialog, the picture-in-picture view away from the call's conversation, and the line after a call ended. */
import { IncomingCallDialog } from "./incoming-call.tsx";
import { CallPip } from "./call-pip.tsx";
import { useCalls } from "./use-calls.ts";
import { navigate } from "../router.ts";
import "./calls.css";

export function CallLayer(props: { channelId: string | undefined }) {
  const calls = useCalls();
  if (!calls) return null;
  const r = calls.incoming;
  const a = calls.active;
  // A group DM's ring names the conversation's other members too.
  const ringChannel = r ? calls.host.channel(r.channelId) : undefined;
  const also =
    r && ringChannel?.kind === "group_dm"
      ? (ringChannel.dmUserIds ?? []).filter((id) => id !== calls.host.me.id && id !== r.fromUserId).map((id) => calls.host.userName(id))
      : undefined;
  return (
    <>
      {r ? (
        <IncomingCallDialog
          callerName={calls.host.userName(r.fromUserId)}
          video={true}
          with={also}
          onAccept={() => {
            // The call's conversation holds the in-call screen.
            navigate(`/c/${r.channelId}`);
            void calls.accept();
          }}
          onDecline={() => void calls.decline()}
        />
      ) : null}
      {a && a.channelId !== props.channelId ? <CallPip calls={calls} /> : null}
      {calls.notice ? (
        <p className="call-notice" role="status">
          {calls.notice}
        </p>
      ) : null}
    </>
  );
}
