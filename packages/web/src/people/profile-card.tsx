/**
 * The profile card (issue 13): a user's picture, name, username, title, status, local time
 * and presence, with "Message" (opens the DM) or, for oneself, "Edit profile". <PersonButton>
 * opens it on click, and on hover after a short delay; Escape or a click elsewhere closes it.
 * The card shows the user as the app knows them and refreshes them from the server on opening.
 */
import "./people.css";
import { useEffect, useRef, useState, type CSSProperties, type ReactNode } from "react";
import { createPortal } from "react-dom";
import type { User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { navigate } from "../router.ts";
import { Avatar } from "../account/avatar.tsx";
import { PresenceDot } from "../components/presence-dot.tsx";
import { BotBadge } from "./bot-badge.tsx";
import { activeStatus, localTime, untilLabel } from "./profile-format.ts";

/** How long the pointer rests on a name before its card opens, and leaves it before an opened-by-hover card closes. */
const HOVER_OPEN_MS = 500;
const HOVER_CLOSE_MS = 300;

/** `onLeave`: the card navigated away (a dialog it sits in closes). */
function ProfileCard(props: { user: User; onClose: () => void; onLeave?: (() => void) | undefined; style?: CSSProperties }) {
  const chat = useChat();
  const [user, setUser] = useState(props.user);
  const [error, setError] = useState<string>();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    let live = true;
    chat.client.api.call("getUser", { params: { id: props.user.id } }).then(
      (u) => live && setUser(u),
      () => undefined,
    );
    // The local time and an ending status stay right while the card is open.
    const tick = setInterval(() => setNow(Date.now()), 30_000);
    return () => {
      live = false;
      clearInterval(tick);
    };
  }, [chat, props.user.id]);
  const self = user.id === chat.me.id;
  const status = activeStatus(user, now);
  const time = user.timeZone ? localTime(user.timeZone, now) : undefined;
  const presence = self ? (chat.connection.state === "live" ? "online" : "offline") : chat.ephemeral.presence(user.id);

  async function message() {
    setError(undefined);
    try {
      const c = await chat.openDm([user.id]);
      props.onClose();
      props.onLeave?.();
      navigate(`/c/${c.id}`);
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <div className="profile-card" role="dialog" aria-label={`Profile of ${user.displayName}`} style={props.style}>
      <div className="profile-card-head">
        <Avatar user={user} size={64} />
        <div>
          <div className="profile-card-name">
            {user.displayName}
            <BotBadge user={user} />
          </div>
          <div className="muted">@{user.username}</div>
          {user.title ? <div className="profile-card-title">{user.title}</div> : null}
        </div>
      </div>
      {status ? (
        <p className="profile-card-status" aria-label="Status">
          {status.emoji ? <span className="status-emoji">{status.emoji}</span> : null} {status.text}
          {status.until ? <span className="muted"> · {untilLabel(status.until, now)}</span> : null}
        </p>
      ) : null}
      <dl className="profile-card-facts">
        <dt>Presence</dt>
        <dd>
          <PresenceDot userId={user.id} self={self} /> {user.deactivated ? "deactivated" : presence}
        </dd>
        {time ? (
          <>
            <dt>Local time</dt>
            <dd>
              {time} <span className="muted">({user.timeZone})</span>
            </dd>
          </>
        ) : null}
      </dl>
      <FormError error={error} />
      <div className="form-actions">
        {self ? (
          <button
            type="button"
            onClick={() => {
              props.onClose();
              props.onLeave?.();
              navigate("/profile");
            }}
          >
            Edit profile
          </button>
        ) : user.deactivated || user.service ? null : (
          <button type="button" className="primary" onClick={() => void message()}>
            Message
          </button>
        )}
      </div>
    </div>
  );
}

/** A user's name (or picture) that opens their profile card on click, and on hover after a short delay. */
export function PersonButton(props: { userId: string; children: ReactNode; className?: string; user?: User; onLeave?: () => void }) {
  const chat = useChat();
  const [open, setOpen] = useState<{ top: number; left: number; byHover: boolean }>();
  const anchor = useRef<HTMLSpanElement>(null);
  const cardBox = useRef<HTMLDivElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const user = props.user ?? chat.users.get(props.userId);

  const place = (byHover: boolean) => {
    const r = anchor.current?.getBoundingClientRect();
    if (!r) return;
    // Below the name, kept inside the window (the card is about 300×260).
    const top = r.bottom + 260 > innerHeight ? Math.max(8, r.top - 264) : r.bottom + 4;
    setOpen({ top, left: Math.max(8, Math.min(r.left, innerWidth - 308)), byHover });
  };
  const later = (fn: () => void, ms: number) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(fn, ms);
  };
  useEffect(() => () => clearTimeout(timer.current), []);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      setOpen(undefined);
    };
    const onDown = (e: PointerEvent) => {
      const t = e.target as Node;
      if (!anchor.current?.contains(t) && !cardBox.current?.contains(t)) setOpen(undefined);
    };
    addEventListener("keydown", onKey);
    addEventListener("pointerdown", onDown);
    return () => {
      removeEventListener("keydown", onKey);
      removeEventListener("pointerdown", onDown);
    };
  }, [open]);

  if (!user) return <span className={props.className}>{props.children}</span>;
  return (
    <span
      ref={anchor}
      className="person-anchor"
      onMouseEnter={() => (open ? clearTimeout(timer.current) : later(() => place(true), HOVER_OPEN_MS))}
      onMouseLeave={() => (open?.byHover ? later(() => setOpen(undefined), HOVER_CLOSE_MS) : clearTimeout(timer.current))}
    >
      <button
        type="button"
        className={`person-trigger${props.className ? ` ${props.className}` : ""}`}
        aria-haspopup="dialog"
        aria-expanded={open !== undefined}
        onClick={() => {
          clearTimeout(timer.current);
          if (open && !open.byHover) setOpen(undefined);
          else place(false);
        }}
      >
        {props.children}
      </button>
      {open
        ? // In the body (a transformed message list would move a fixed card), or in the open modal it sits in (the top layer).
          createPortal(
            <div
              ref={cardBox}
              onMouseEnter={() => clearTimeout(timer.current)}
              onMouseLeave={() => open.byHover && later(() => setOpen(undefined), HOVER_CLOSE_MS)}
            >
              <ProfileCard user={user} onClose={() => setOpen(undefined)} onLeave={props.onLeave} style={{ top: open.top, left: open.left }} />
            </div>,
            anchor.current?.closest("dialog[open]") ?? document.body,
          )
        : null}
    </span>
  );
}
