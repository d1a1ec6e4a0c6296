import { useState } from "react";
import { useChat } from "../../client/use-chat.ts";
import { describeError } from "../../client/session.ts";
import { FormError } from "../auth/auth-card.tsx";
import { PresenceDot } from "../presence-dot.tsx";
import { Modal } from "./modal.tsx";

/** Pick one or more people of the org (DMs, adding channel members). */
export function PeoplePicker(props: {
  title: string;
  action: string;
  note?: string | undefined;
  onClose: () => void;
  onPick: (userIds: string[]) => Promise<void>;
}) {
  const chat = useChat();
  const [q, setQ] = useState("");
  const [picked, setPicked] = useState<string[]>([]);
  const [error, setError] = useState<string>();
  const needle = q.trim().toLowerCase();
  const people = [...chat.users.values()]
    .filter((u) => u.id !== chat.me.id && !u.deactivated && (!needle || u.username.includes(needle) || u.displayName.toLowerCase().includes(needle)))
    .sort((a, b) => a.displayName.localeCompare(b.displayName));
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <input
        type="search"
        className="search"
        aria-label="Search people"
        placeholder="Search people"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        autoFocus
        data-autofocus
      />
      <ul className="pick-list">
        {people.map((u) => (
          <li key={u.id}>
            <label>
              <input type="checkbox" checked={picked.includes(u.id)} onChange={() => toggle(u.id)} aria-label={`${u.displayName} (@${u.username})`} />
              <PresenceDot userId={u.id} /> {u.displayName} <span className="muted">@{u.username}</span>
            </label>
          </li>
        ))}
        {people.length === 0 ? <li className="muted">Nobody matches.</li> : null}
      </ul>
      {props.note ? (
        <p className="muted picker-note" role="note">
          {props.note}
        </p>
      ) : null}
      <FormError error={error} />
      <button
        type="button"
        className="primary"
        disabled={picked.length === 0}
        onClick={() => props.onPick(picked).catch((err: unknown) => setError(describeError(err)))}
      >
        {props.action}
      </button>
    </Modal>
  );
}
