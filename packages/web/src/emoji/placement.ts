/** Where a popover emoji picker goes on the screen. */
import type { CSSProperties } from "react";

/** The picker's size in CSS pixels (personal.css: 20rem × 22rem). */
const WIDTH = 320;
const HEIGHT = 352;

/**
 * Where the picker goes for a button at `anchor`: fixed to the viewport (a scrolling message list
 * or the channel header would clip or cover it), below the button when there is room, else above,
 * kept inside the window.
 */
export function pickerPlacement(anchor: { top: number; bottom: number; right: number }, view: { width: number; height: number }): CSSProperties {
  const below = view.height - anchor.bottom >= HEIGHT + 8;
  const top = below ? anchor.bottom + 4 : Math.max(8, anchor.top - HEIGHT - 4);
  const left = Math.min(Math.max(8, anchor.right - WIDTH), Math.max(8, view.width - WIDTH - 8));
  return { position: "fixed", top, left, bottom: "auto", right: "auto", zIndex: 1000 };
}
