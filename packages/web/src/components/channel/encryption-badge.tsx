import { useChat } from "../../client/use-chat.ts";
import { Icon } from "../icon.tsx";

/** Whether content is end-to-end encrypted on this client (the SDK's codec says). */
export function EncryptionBadge() {
  const chat = useChat();
  const codec = chat.client.codec;
  return codec.encrypted ? (
    <span className="e2ee on" title={`End-to-end encrypted (${codec.name})`}>
      <Icon name="lock" /> Encrypted
    </span>
  ) : (
    <span className="e2ee off" role="note" title={`Content codec ${codec.name}: the server can read messages`}>
      <Icon name="warn" /> Not end-to-end encrypted
    </span>
  );
}
