import { useEffect, useRef, useState } from "react";
import type { Channel } from "@parley/protocol";
import { useChat } from "../../client/use-chat.ts";
import { describeError } from "../../client/session.ts";
import { navigate } from "../../router.ts";
import { FormError } from "../auth/auth-card.tsx";
import { Modal } from "./modal.tsx";

export function BrowseChannelsDialog(props: { onClose: () => void }) {
  const chat = useChat();
  const [q, setQ] = useState("");
  const [list, setList] = useState<Array<Channel & { joined: boolean }>>();
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<string>();
  /** The last request sent: an answer to an earlier one (a query typed over, a slow first page) is dropped. */
  const latest = useRef(0);
  // The server searches names and topics and answers a page at a time; "Show more" asks for the next.
  const page = (offset: number, before: Array<Channel & { joined: boolean }>) => {
    const asked = ++latest.current;
    return chat.client.api.call("browseChannels", { query: { ...(q ? { q } : {}), offset } }).then(
      (r) => {
        if (asked !== latest.current) return;
        setList([...before, ...r.channels]);
        setHasMore(r.hasMore);
      },
      (err: unknown) => {
        if (asked === latest.current) setError(describeError(err));
      },
    );
  };
  useEffect(() => {
    const t = setTimeout(() => void page(0, []), 150);
    return () => clearTimeout(t);
  }, [chat, q]);
  async function open(c: Channel & { joined: boolean }) {
    try {
      if (!c.joined) await chat.joinChannel(c.id);
      props.onClose();
      navigate(`/c/${c.id}`);
    } catch (err) {
      setError(describeError(err));
    }
  }
  return (
    <Modal title="Browse channels" onClose={props.onClose} wide>
      <input
        type="search"
        className="search"
        aria-label="Search channels"
        placeholder="Search channels by name or topic"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        autoFocus
        data-autofocus
      />
      <FormError error={error} />
      <ul className="pick-list">
        {list?.length === 0 ? <li className="muted">No public channels match.</li> : null}
        {list?.map((c) => (
          <li key={c.id}>
            <div>
              <strong># {c.name}</strong>{" "}
              <span className="muted">
                {c.memberCount} members{c.topic ? ` · ${c.topic}` : ""}
              </span>
            </div>
            <button type="button" className={c.joined ? "" : "primary"} aria-label={`${c.joined ? "Open" : "Join"} ${c.name}`} onClick={() => void open(c)}>
              {c.joined ? "Open" : "Join"}
            </button>
          </li>
        ))}
      </ul>
      {hasMore && list ? (
        <button type="button" className="link" onClick={() => void page(list.length, list)}>
          Show more
        </button>
      ) : null}
    </Modal>
  );
}
