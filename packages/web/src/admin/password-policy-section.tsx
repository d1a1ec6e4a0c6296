/**
 * Admin console, org settings: the password policy (NIST 800-63B): a minimum length
 * (8–64) and whether common or leaked passwords, and ones containing the username or
 * the org's name, are refused. It applies to passwords chosen from now on; existing
 * passwords keep working. The fields stay disabled until the stored policy has loaded,
 * so an edit made meanwhile is never overwritten by the late answer.
 */
import { useEffect, useId, useState, type FormEvent } from "react";
import type { PasswordPolicy } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";

const MIN = 8;
const MAX = 64;

export function PasswordPolicySection() {
  const chat = useChat();
  const [saved, setSaved] = useState<PasswordPolicy>();
  const [minLength, setMinLength] = useState("");
  const [blockCommon, setBlockCommon] = useState(true);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const lengthId = useId();
  const commonId = useId();

  const show = (p: PasswordPolicy) => {
    setSaved(p);
    setMinLength(String(p.minLength));
    setBlockCommon(p.blockCommon);
  };
  useEffect(() => {
    chat.client.api.call("getPasswordPolicy").then(show, (err: unknown) => setError(describeError(err)));
  }, [chat]);

  const length = Number(minLength);
  const lengthOk = Number.isInteger(length) && length >= MIN && length <= MAX;
  const changed = !!saved && (length !== saved.minLength || blockCommon !== saved.blockCommon);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!lengthOk) return setError(`The minimum length must be a whole number from ${MIN} to ${MAX}.`);
    setBusy(true);
    setError(undefined);
    setDone(false);
    try {
      show(await chat.client.api.call("setPasswordPolicy", { body: { minLength: length, blockCommon } }));
      setDone(true);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label="Password policy" noValidate>
      <h2>Password policy</h2>
      <div className="field">
        <label htmlFor={lengthId}>Minimum length</label>
        <input
          id={lengthId}
          type="number"
          min={MIN}
          max={MAX}
          value={minLength}
          disabled={!saved}
          onChange={(e) => {
            setMinLength(e.target.value);
            setDone(false);
          }}
          aria-describedby={`${lengthId}-hint`}
          className="narrow"
        />
        <small id={`${lengthId}-hint`} className="muted">
          {MIN} to {MAX} characters. Long passwords beat complicated ones: Parley sets no rules about digits or symbols and never forces periodic changes.
        </small>
      </div>
      <div className="check">
        <input
          id={commonId}
          type="checkbox"
          checked={blockCommon}
          disabled={!saved}
          onChange={(e) => {
            setBlockCommon(e.target.checked);
            setDone(false);
          }}
          aria-describedby={`${commonId}-hint`}
        />
        <label htmlFor={commonId}>Block common passwords</label>
      </div>
      <small id={`${commonId}-hint`} className="muted">
        Refuse passwords on a list of common and leaked passwords, and passwords that contain the username or the organisation's name.
      </small>
      <p className="note">The policy applies to passwords chosen from now on. Existing passwords keep working until their owners change them.</p>
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy || !changed}>
          Save password policy
        </button>
        {done ? (
          <span className="verified" role="status">
            Saved.
          </span>
        ) : null}
      </div>
    </form>
  );
}
