/**
 * Sidebar: org and connection state, channels and direct messages with
 * unread and mention badges, presence dots, and the user's menu.
 */
import type { MyChannel } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { navigate, searchPath, type Route } from "../router.ts";
import { toggleTheme } from "../theme.ts";
import { ConnectionStatus } from "./connection-status.tsx";
import { PresenceDot } from "./presence-dot.tsx";
import type { DialogName } from "./dialogs/dialogs.tsx";
import { Icon } from "./icon.tsx";
import { Avatar } from "../account/avatar.tsx";
import { consoleTabs } from "./admin/console-tabs.ts";
import { ArchiveBadge } from "../security/archive-badge.tsx";
import { activeStatus } from "../people/profile-format.ts";
import { InboxLink } from "../inbox/inbox-link.tsx";

function ChannelLink(props: { c: MyChannel; active: boolean }) {
  const chat = useChat();
  const { c } = props;
  const title = chat.channelTitle(c);
  const isDm = c.kind === "dm" || c.kind === "group_dm";
  const other = c.kind === "dm" ? (c.dmUserIds ?? []).find((id) => id !== chat.me.id) : undefined;
  const archive = chat.archive[c.id];
  const archived = archive?.problem ? ", archive status disputed" : archive?.archived ? ", archived for compliance" : "";
  const label = `${isDm ? "Direct message with " : "Channel "}${title}${archived}${c.unread ? `, ${c.unread} unread` : ""}${c.mentions ? `, ${c.mentions} mentions` : ""}`;
  return (
    <li>
      <a
        href={`/c/${c.id}`}
        className={`channel-link${props.active ? " active" : ""}${c.unread ? " unread" : ""}`}
        aria-current={props.active ? "page" : undefined}
        aria-label={label}
        onClick={(e) => {
          e.preventDefault();
          navigate(`/c/${c.id}`);
        }}
      >
        {other ? (
          <PresenceDot userId={other} />
        ) : (
          <span className="chan-icon" aria-hidden="true">
            {c.kind === "private" ? <Icon name="lock" /> : isDm ? "@" : "#"}
          </span>
        )}
        <span className="chan-name">{title}</span>
        <ArchiveBadge channelId={c.id} compact />
        {c.mentions ? (
          <span className="badge mention" aria-hidden="true">
            @{c.mentions}
          </span>
        ) : c.unread ? (
          <span className="badge" aria-hidden="true">
            {c.unread}
          </span>
        ) : null}
      </a>
    </li>
  );
}

export function Sidebar(props: { activeChannelId: string | undefined; route: Route["name"]; onDialog: (d: DialogName) => void; onSignOut: () => void }) {
  const chat = useChat();
  const channels = chat.channels.filter((c) => c.kind === "public" || c.kind === "private").sort((a, b) => a.name.localeCompare(b.name));
  const dms = chat.channels.filter((c) => c.kind === "dm" || c.kind === "group_dm");
  const myStatus = activeStatus(chat.me, Date.now());
  return (
    <nav className="sidebar" aria-label="Channels and direct messages">
      <header className="sidebar-head">
        <div className="org-name">{chat.org.name}</div>
        <ConnectionStatus />
      </header>
      <button type="button" className="switcher-hint" onClick={() => props.onDialog("switcher")}>
        Jump to… <kbd>Ctrl K</kbd>
      </button>
      <a
        href="/search"
        className={`switcher-hint search-link${props.route === "search" ? " active" : ""}`}
        aria-current={props.route === "search" ? "page" : undefined}
        onClick={(e) => {
          e.preventDefault();
          navigate(searchPath(""));
        }}
      >
        <span>
          <Icon name="search" /> Search messages
        </span>
        <kbd>Ctrl ⇧ F</kbd>
      </a>
      <a
        href="/people"
        className={`switcher-hint search-link${props.route === "people" ? " active" : ""}`}
        aria-current={props.route === "people" ? "page" : undefined}
        onClick={(e) => {
          e.preventDefault();
          navigate("/people");
        }}
      >
        <span>
          <Icon name="people" /> People
        </span>
      </a>
      <InboxLink active={props.route === "inbox"} />
      <a
        href="/saved"
        className={`switcher-hint${props.route === "saved" ? " active" : ""}`}
        aria-current={props.route === "saved" ? "page" : undefined}
        onClick={(e) => {
          e.preventDefault();
          navigate("/saved");
        }}
      >
        <span>
          <span aria-hidden="true">★</span> Saved
        </span>
      </a>
      <section aria-labelledby="channels-h">
        <div className="section-head">
          <h2 id="channels-h">Channels</h2>
          <button type="button" className="icon" aria-label="Browse channels" title="Browse channels" onClick={() => props.onDialog("browse")}>
            <Icon name="list" />
          </button>
          <button type="button" className="icon" aria-label="Create channel" title="Create channel" onClick={() => props.onDialog("create")}>
            <Icon name="plus" />
          </button>
        </div>
        <ul>
          {channels.map((c) => (
            <ChannelLink key={c.id} c={c} active={c.id === props.activeChannelId} />
          ))}
        </ul>
      </section>
      <section aria-labelledby="dms-h">
        <div className="section-head">
          <h2 id="dms-h">Direct messages</h2>
          <button type="button" className="icon" aria-label="New direct message" title="New direct message" onClick={() => props.onDialog("dm")}>
            <Icon name="plus" />
          </button>
        </div>
        <ul>
          {dms.map((c) => (
            <ChannelLink key={c.id} c={c} active={c.id === props.activeChannelId} />
          ))}
        </ul>
      </section>
      <footer className="sidebar-foot">
        <div className="me">
          <Avatar user={chat.me} size={24} />
          <PresenceDot userId={chat.me.id} self /> <span>{chat.me.displayName}</span> <span className="muted">@{chat.me.username}</span>
        </div>
        {myStatus ? <div className="me-status muted">{[myStatus.emoji, myStatus.text].filter(Boolean).join(" ")}</div> : null}
        <div className="foot-actions">
          {consoleTabs(chat).length ? (
            <a
              href="/admin"
              aria-current={props.route === "admin" ? "page" : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate("/admin");
              }}
            >
              Admin
            </a>
          ) : null}
          <a
            href="/profile"
            aria-current={props.route === "profile" ? "page" : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate("/profile");
            }}
          >
            Profile
          </a>
          <a
            href="/devices"
            aria-current={props.route === "devices" ? "page" : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate("/devices");
            }}
          >
            Devices
          </a>
          <button type="button" className="link" onClick={() => toggleTheme()} aria-label="Toggle dark or light theme">
            Theme
          </button>
          <button type="button" className="link" onClick={props.onSignOut}>
            Sign out
          </button>
        </div>
      </footer>
    </nav>
  );
}
