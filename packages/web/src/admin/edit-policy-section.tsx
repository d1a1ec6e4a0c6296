/**
 * Admin console → Settings: the org's edit policy (PUT /org/edit-policy, audited as
 * org.edit_policy.changed). Edits allowed without limit, for N minutes after sending, or
 * not at all; deletes are never limited by it. The server enforces it on every edit;
 * messages in this tab follow a saved change at once (chat/edit-window.ts).
 */
import { useEffect, useId, useState, type FormEvent } from "react";
import { MAX_EDIT_WINDOW_MINUTES, type EditPolicy } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { PolicySaveRow } from "./policy-save-row.tsx";
import { rememberEditPolicy } from "../chat/edit-window.ts";

type Mode = "unlimited" | "window" | "disabled";

const modeOf = (p: EditPolicy): Mode => (!p.enabled ? "disabled" : p.windowMinutes === null ? "unlimited" : "window");

export function EditPolicySection() {
  const chat = useChat();
  const [saved, setSaved] = useState<EditPolicy>();
  const [mode, setMode] = useState<Mode>("unlimited");
  const [minutes, setMinutes] = useState("15");
  const [error, setError] = useState<string>();
  const [done, setDone] = useState(false);
  const minutesId = useId();

  const show = (p: EditPolicy) => {
    setSaved(p);
    setMode(modeOf(p));
    if (p.windowMinutes !== null) setMinutes(String(p.windowMinutes));
  };
  useEffect(() => {
    chat.client.api.call("getEditPolicy").then(show, (err: unknown) => setError(describeError(err)));
  }, [chat]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const n = Number(minutes);
    if (mode === "window" && !(Number.isInteger(n) && n >= 1 && n <= MAX_EDIT_WINDOW_MINUTES)) {
      return setError(`The edit window must be a whole number of minutes from 1 to ${MAX_EDIT_WINDOW_MINUTES}.`);
    }
    const body: EditPolicy = { enabled: mode !== "disabled", windowMinutes: mode === "window" ? n : null };
    setError(undefined);
    setDone(false);
    try {
      const next = await chat.client.api.call("setEditPolicy", { body });
      show(next);
      rememberEditPolicy(chat, next);
      setDone(true);
    } catch (err) {
      setError(describeError(err));
    }
  }

  const pick = (m: Mode) => {
    setMode(m);
    setDone(false);
  };
  return (
    <form onSubmit={submit} aria-label="Message editing" noValidate>
      <h2>Message editing</h2>
      <fieldset className="radio" disabled={!saved}>
        <legend>Members may edit their own messages</legend>
        <label>
          <input type="radio" name="edit-mode" checked={mode === "unlimited"} onChange={() => pick("unlimited")} /> At any time
        </label>
        <label>
          <input type="radio" name="edit-mode" checked={mode === "window"} onChange={() => pick("window")} /> For a limited time after sending
        </label>
        <label>
          <input type="radio" name="edit-mode" checked={mode === "disabled"} onChange={() => pick("disabled")} /> Never (editing disabled)
        </label>
      </fieldset>
      {mode === "window" ? (
        <div className="field">
          <label htmlFor={minutesId}>Edit window (minutes)</label>
          <input
            id={minutesId}
            type="number"
            className="narrow"
            min={1}
            max={MAX_EDIT_WINDOW_MINUTES}
            value={minutes}
            onChange={(e) => {
              setMinutes(e.target.value);
              setDone(false);
            }}
          />
        </div>
      ) : null}
      <p className="note">Deleting is not limited by this. Earlier versions of an edited message stay readable by members (&quot;(edited)&quot;).</p>
      <PolicySaveRow label="Save editing policy" disabled={!saved} done={done} error={error} />
    </form>
  );
}
