/**
 * Admin console → Channels: edit one channel's labels (e.g. "confidential"), which org
 * policies can name as resource.labels. Typed as a list separated by commas or spaces; a label
 * that breaks the rule is named before the server is asked.
 */
import { useState } from "react";
import type { Channel } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { describeAccessError, parseLabels } from "./access-text.ts";

export function ChannelLabelsForm(props: { channel: Channel; onDone: (saved: boolean) => void }) {
  const chat = useChat();
  const c = props.channel;
  const [text, setText] = useState(c.labels.join(", "));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function save() {
    const parsed = parseLabels(text);
    if ("error" in parsed) return setError(parsed.error);
    setBusy(true);
    try {
      await chat.client.api.call("setChannelLabels", { params: { channelId: c.id }, body: { labels: parsed.labels } });
      await chat.refreshChannels();
      props.onDone(true);
    } catch (err) {
      setError(describeAccessError(err));
      setBusy(false);
    }
  }

  return (
    <form
      aria-label={`Labels of ${c.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <input aria-label={`Labels for ${c.name}`} value={text} autoFocus placeholder="confidential, finance" onChange={(e) => setText(e.target.value)} />{" "}
      <button type="submit" disabled={busy}>
        Save labels
      </button>{" "}
      <button type="button" onClick={() => props.onDone(false)} disabled={busy}>
        Cancel
      </button>
      <FormError error={error} />
    </form>
  );
}
