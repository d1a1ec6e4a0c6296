/**
 * Phone-width navigation (<= 720 px, see the media query in styles.css): the
 * sidebar is an off-canvas drawer opened from a slim app bar, closed by a
 * tap outside, Esc or picking a destination. On wider screens the bar and
 * backdrop are hidden by CSS and the drawer state has no effect.
 */
import { useEffect, useState } from "react";
import { useChat } from "../client/use-chat.ts";

/** Drawer open state, closed again whenever `location` changes (a channel was picked). */
export function useDrawer(location: string): { open: boolean; setOpen: (open: boolean) => void } {
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [location]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      // Claimed here so the shell's Esc handling does not also close a thread.
      e.preventDefault();
      setOpen(false);
    };
    addEventListener("keydown", onKey, { capture: true });
    return () => removeEventListener("keydown", onKey, { capture: true });
  }, [open]);
  return { open, setOpen };
}

/** The app bar shown at phone width: menu button, org name, connection dot. */
export function PhoneBar(props: { onOpen: () => void; open: boolean }) {
  const chat = useChat();
  const c = chat.connection;
  return (
    <div className="phone-bar">
      <button type="button" className="icon drawer-toggle" aria-label="Open channels" aria-expanded={props.open} onClick={props.onOpen}>
        <svg width="20" height="20" viewBox="0 0 20 20" aria-hidden="true">
          <path d="M3 5h14M3 10h14M3 15h14" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
        </svg>
      </button>
      <span className="phone-bar-title">{chat.org.name}</span>
      <span className={`conn conn-${c.state}`} title={c.state} aria-hidden="true">
        <span className="conn-dot" />
      </span>
    </div>
  );
}

/** Dims the conversation while the drawer is open; a tap closes it. */
export function DrawerBackdrop(props: { open: boolean; onClose: () => void }) {
  if (!props.open) return null;
  return <div className="drawer-backdrop" onClick={props.onClose} aria-hidden="true" />;
}
