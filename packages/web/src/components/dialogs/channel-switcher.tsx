import { useState } from "react";
import { useChat } from "../../client/use-chat.ts";
import { navigate } from "../../router.ts";
import { Modal } from "./modal.tsx";

/** Ctrl/Cmd+K: type to filter channels and DMs, arrows to move, Enter to open. */
export function ChannelSwitcher(props: { onClose: () => void }) {
  const chat = useChat();
  const [q, setQ] = useState("");
  const [sel, setSel] = useState(0);
  const needle = q.trim().toLowerCase();
  const list = chat.channels
    .map((c) => ({ c, title: chat.channelTitle(c) }))
    .filter((x) => !needle || x.title.toLowerCase().includes(needle))
    .sort((a, b) => b.c.unread - a.c.unread || a.title.localeCompare(b.title))
    .slice(0, 12);
  const go = (id: string) => {
    props.onClose();
    navigate(`/c/${id}`);
  };
  return (
    <Modal title="Jump to a conversation" onClose={props.onClose}>
      <input
        type="search"
        className="search"
        aria-label="Channel name"
        placeholder="Channel or person"
        value={q}
        autoFocus
        data-autofocus
        role="combobox"
        aria-expanded="true"
        aria-controls="switcher-list"
        aria-activedescendant={list[sel] ? `sw-${list[sel].c.id}` : undefined}
        onChange={(e) => {
          setQ(e.target.value);
          setSel(0);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setSel((s) => Math.min(s + 1, list.length - 1));
          }
          if (e.key === "ArrowUp") {
            e.preventDefault();
            setSel((s) => Math.max(s - 1, 0));
          }
          if (e.key === "Enter" && list[sel]) {
            e.preventDefault();
            go(list[sel].c.id);
          }
        }}
      />
      <ul id="switcher-list" className="pick-list" role="listbox" aria-label="Conversations">
        {list.map((x, i) => (
          <li key={x.c.id} id={`sw-${x.c.id}`} role="option" aria-selected={i === sel} className={i === sel ? "selected" : ""} onClick={() => go(x.c.id)}>
            {x.c.kind === "dm" || x.c.kind === "group_dm" ? "@" : "#"} {x.title} {x.c.unread ? <span className="badge">{x.c.unread}</span> : null}
          </li>
        ))}
      </ul>
    </Modal>
  );
}
