import { useState } from "react";

/** Inline editor of an own message: Enter saves, Shift+Enter is a newline, Esc cancels. */
export function MessageEditor(props: { initial: string; onSave: (text: string) => void; onCancel: () => void }) {
  const [text, setText] = useState(props.initial);
  return (
    <div className="editor">
      <textarea
        aria-label="Edit message"
        value={text}
        autoFocus
        rows={Math.min(8, text.split("\n").length + 1)}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.preventDefault();
            props.onCancel();
          }
          if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            if (text.trim()) props.onSave(text.trim());
          }
        }}
      />
      <div className="editor-actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" className="primary" disabled={!text.trim()} onClick={() => props.onSave(text.trim())}>
          Save
        </button>
      </div>
    </div>
  );
}
