/**
 * A modal dialog on the native <dialog> element: focus is trapped by the browser, Esc closes, and
 * focus goes back to what had it before the dialog opened (the button that opened it) when the
 * dialog goes, as WAI-ARIA's dialog pattern asks.
 */
import { useLayoutEffect, useRef, type ReactNode } from "react";
import { Icon } from "../icon.tsx";

export function Modal(props: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  // One layout effect opens and closes it, so every close is matched by an open (a clean-up and
  // its effect run again together).
  useLayoutEffect(() => {
    const d = ref.current;
    if (d && !d.open) {
      d.showModal();
      // The browser gives focus to the first control (the Close button): React's autoFocus ran
      // while the dialog was still closed, and React does not render the autofocus attribute the
      // browser would honour. A field marked data-autofocus beside autoFocus takes it instead.
      d.querySelector<HTMLElement>("[data-autofocus]")?.focus();
    }
    // Closed before React removes it, the browser's close steps put focus back where it was when
    // the dialog opened; an open dialog merely removed leaves focus on <body>, and a keyboard user
    // starts again from the top of the page. (A layout effect's clean-up runs before the removal.)
    return () => {
      if (d?.open) d.close();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={`modal${props.wide ? " wide" : ""}`}
      aria-labelledby="modal-title"
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
      onClick={(e) => {
        if (e.target === ref.current) props.onClose();
      }}
    >
      <header className="modal-head">
        <h2 id="modal-title">{props.title}</h2>
        <button type="button" className="icon" aria-label="Close" onClick={props.onClose}>
          <Icon name="close" />
        </button>
      </header>
      {props.children}
    </dialog>
  );
}
