/**
 * The fields of two-factor authentication: a six-digit authenticator code (numeric keyboard on
 * phones, offered by the browser from an SMS or the password manager as a one-time code, pasted
 * "123 456" kept as its digits) and a recovery code.
 */
import { useId, type Ref } from "react";
import { totpInput } from "./codes.ts";
import "./mfa.css";

export function CodeField(props: {
  label?: string;
  value: string;
  onChange: (v: string) => void;
  autoFocus?: boolean;
  hint?: string;
  inputRef?: Ref<HTMLInputElement>;
}) {
  const id = useId();
  const hint = props.hint ?? "The 6-digit code your authenticator app shows now.";
  return (
    <div className="field">
      <label htmlFor={id}>{props.label ?? "6-digit code"}</label>
      <input
        id={id}
        ref={props.inputRef}
        name="code"
        className="code-input"
        value={props.value}
        onChange={(e) => props.onChange(totpInput(e.target.value))}
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9]{6}"
        required
        spellCheck={false}
        autoFocus={props.autoFocus}
        data-autofocus={props.autoFocus ? "" : undefined}
        aria-describedby={`${id}-hint`}
      />
      <small id={`${id}-hint`} className="muted">
        {hint}
      </small>
    </div>
  );
}

export function RecoveryCodeField(props: { value: string; onChange: (v: string) => void; autoFocus?: boolean; inputRef?: Ref<HTMLInputElement> }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Recovery code</label>
      <input
        id={id}
        ref={props.inputRef}
        name="recoveryCode"
        className="code-input"
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        required
        maxLength={24}
        autoFocus={props.autoFocus}
        data-autofocus={props.autoFocus ? "" : undefined}
        aria-describedby={`${id}-hint`}
      />
      <small id={`${id}-hint`} className="muted">
        One of the codes you saved, like xxxxx-xxxxx. Each works once.
      </small>
    </div>
  );
}
