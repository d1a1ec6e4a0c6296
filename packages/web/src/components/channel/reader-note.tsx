import "./members-panel.css";
/** In place of the composer for readers of a channel. */
export function ReaderNote() {
  return (
    <p className="notice reader-note" role="note">
      You can read this channel but not post in it.
    </p>
  );
}
