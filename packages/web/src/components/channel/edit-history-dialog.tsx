/**
 * "Show edits": every version of a message, oldest first, each with its time, decrypted on
 * this device from the channel's history (ChannelHistory.versions). A version this device
 * cannot decrypt says so instead of showing text.
 */
import { useChat } from "../../client/use-chat.ts";
import { Modal } from "../dialogs/modal.tsx";
import { Markdown } from "./markdown.tsx";

const when = (ts: number) => new Date(ts).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

export function EditHistoryDialog(props: { channelId: string; seq: number; onClose: () => void }) {
  const chat = useChat();
  const versions = chat.history(props.channelId).versions(props.seq);
  const knownUser = (u: string) => [...chat.users.values()].some((x) => x.username === u);
  return (
    <Modal title="Edit history" onClose={props.onClose}>
      <ol className="edit-history" aria-label="Versions, oldest first">
        {versions.map((v, i) => (
          <li key={v.seq} aria-label={i === 0 ? "Original" : `Edit ${i}`}>
            <div className="muted">
              {i === 0 ? "Original" : `Edit ${i}`} · <time dateTime={new Date(v.createdAt).toISOString()}>{when(v.createdAt)}</time>
              {i === versions.length - 1 ? " · current" : null}
            </div>
            {v.decodeError ? (
              <p className="undecryptable" title={v.decodeError}>
                This version cannot be decrypted on this device.
              </p>
            ) : (
              <div className="msg-body">
                <Markdown text={v.text} isKnownUser={knownUser} />
              </div>
            )}
          </li>
        ))}
      </ol>
    </Modal>
  );
}
