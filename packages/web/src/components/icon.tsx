/** Small inline SVG icons (no icon font, no emoji font needed), hidden from screen readers: the button carries the label. */
const PATHS = {
  plus: "M12 5v14M5 12h14",
  list: "M4 6h16M4 12h16M4 18h16",
  lock: "M6 11h12v9H6zM8.5 11V8a3.5 3.5 0 0 1 7 0v3",
  archive: "M3 4h18v4H3zM5 8v12h14V8M10 12h4",
  warn: "M12 3 2 20h20L12 3zM12 10v5M12 17.5v.5",
  trash: "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13",
  edit: "M4 20h4L19 9l-4-4L4 16v4z",
  reply: "M10 8 4 13l6 5M4 13h10a6 6 0 0 1 6 6",
  smile: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM8.5 14.5s1.3 2 3.5 2 3.5-2 3.5-2M9 9.5h.01M15 9.5h.01",
  close: "M6 6l12 12M18 6 6 18",
  clip: "M21 11.5 12.5 20a5 5 0 0 1-7-7L14 4.5a3.3 3.3 0 0 1 4.7 4.7L10.2 17.7a1.7 1.7 0 0 1-2.4-2.4L15.5 7.6",
  download: "M12 4v11M7 10l5 5 5-5M5 20h14",
  shield: "M12 3 4 6v6c0 4.5 3.4 8 8 9 4.6-1 8-4.5 8-9V6l-8-3z",
  search: "M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13zM15.5 15.5 20 20",
  up: "M6 15l6-6 6 6",
  down: "M6 9l6 6 6-6",
  bell: "M6 16V11a6 6 0 0 1 12 0v5l2 2H4l2-2zM10 20a2 2 0 0 0 4 0",
  pin: "M9 4h6l-1 6 3 3H7l3-3-1-6zM12 13v7",
  people: "M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM2.5 20c0-3.6 2.9-6 6.5-6s6.5 2.4 6.5 6M16 4.5a3.5 3.5 0 0 1 0 6.5M18 14c2.2.6 3.5 2.9 3.5 6",
} as const;

export function Icon(props: { name: keyof typeof PATHS }) {
  return (
    <svg
      className="svg-icon"
      viewBox="0 0 24 24"
      width="16"
      height="16"
      aria-hidden="true"
      focusable="false"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d={PATHS[props.name]} />
    </svg>
  );
}
