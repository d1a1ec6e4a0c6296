import { useState, type FormEvent } from "react";
import { useChat } from "../../client/use-chat.ts";
import { describeError } from "../../client/session.ts";
import { navigate } from "../../router.ts";
import { Field, FormError } from "../auth/auth-card.tsx";
import { Modal } from "./modal.tsx";
import type { HistoryPolicy } from "@parley/protocol";
import { HistoryPolicyChoice } from "../../security/history-policy.tsx";

export function CreateChannelDialog(props: { onClose: () => void }) {
  const chat = useChat();
  const [name, setName] = useState("");
  const [topic, setTopic] = useState("");
  const [kind, setKind] = useState<"public" | "private">("public");
  const [history, setHistory] = useState<HistoryPolicy>("shared");
  const [error, setError] = useState<string>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    try {
      const c = await chat.createChannel(name.trim(), kind, topic, history);
      props.onClose();
      navigate(`/c/${c.id}`);
    } catch (err) {
      setError(describeError(err));
    }
  }
  return (
    <Modal title="Create a channel" onClose={props.onClose}>
      <form onSubmit={submit} aria-label="Create a channel">
        <Field label="Name" name="channelName" value={name} onChange={setName} autoFocus />
        <Field label="Topic" name="topic" value={topic} onChange={setTopic} required={false} />
        <fieldset className="radio">
          <legend>Who can find it</legend>
          <label>
            <input type="radio" name="kind" checked={kind === "public"} onChange={() => setKind("public")} /> Public — anyone in the organisation can join
          </label>
          <label>
            <input type="radio" name="kind" checked={kind === "private"} onChange={() => setKind("private")} /> Private — only people you add
          </label>
        </fieldset>
        <HistoryPolicyChoice value={history} onChange={setHistory} />
        <FormError error={error} />
        <button type="submit" className="primary">
          Create
        </button>
      </form>
    </Modal>
  );
}
