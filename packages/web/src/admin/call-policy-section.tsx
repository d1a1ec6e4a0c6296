/**
 * Admin console → Settings: whether calls may be recorded (PUT /org/call-policy, audited as
 * org.call_policy.changed). Off by default. Allowed, a participant records on their device and
 * the file is posted in the conversation, encrypted; everyone in the call sees who records.
 */
import { useEffect, useState, type FormEvent } from "react";
import type { CallPolicy } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { PolicySaveRow } from "./policy-save-row.tsx";

export function CallPolicySection() {
  const chat = useChat();
  const [saved, setSaved] = useState<CallPolicy>();
  const [allowed, setAllowed] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState(false);

  const show = (p: CallPolicy) => {
    setSaved(p);
    setAllowed(p.recordingAllowed);
  };
  useEffect(() => {
    chat.client.api.call("getCallPolicy").then(show, (err: unknown) => setError(describeError(err)));
  }, [chat]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    setDone(false);
    try {
      show(await chat.client.api.call("setCallPolicy", { body: { recordingAllowed: allowed } }));
      setDone(true);
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <form onSubmit={submit} aria-label="Call recording" noValidate>
      <h2>Call recording</h2>
      <label className="check">
        <input
          type="checkbox"
          checked={allowed}
          disabled={!saved}
          onChange={(e) => {
            setAllowed(e.target.checked);
            setDone(false);
          }}
        />{" "}
        Allow participants to record calls
      </label>
      <p className="note">
        A recording is made on the recording participant&apos;s device and posted in the conversation as an encrypted attachment. Everyone in the call sees who
        records, from start to stop. Turning this off refuses new recordings.
      </p>
      <PolicySaveRow label="Save call recording" disabled={!saved} done={done} error={error} />
    </form>
  );
}
