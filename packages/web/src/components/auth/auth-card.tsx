/** The card every signed-out screen uses, its labelled fields and its links. */
import { useId, type ReactNode } from "react";
import { navigate } from "../../router.ts";

/** `wide`: room for more than a form (the two-factor setup's QR code beside its instructions). */
export function AuthCard(props: { title: string; subtitle?: ReactNode; wide?: boolean; children: ReactNode }) {
  return (
    <main className="auth">
      <section className={props.wide ? "auth-card wide" : "auth-card"} aria-labelledby="auth-title">
        <div className="brand" aria-hidden="true">
          Parley
        </div>
        <h1 id="auth-title">{props.title}</h1>
        {props.subtitle ? <p className="muted">{props.subtitle}</p> : null}
        {props.children}
      </section>
    </main>
  );
}

export function Field(props: {
  label: string;
  name: string;
  value: string;
  onChange: (v: string) => void;
  type?: string;
  hint?: string;
  autoComplete?: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  autoFocus?: boolean;
  pattern?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value}
        required={props.required ?? true}
        autoComplete={props.autoComplete}
        minLength={props.minLength}
        maxLength={props.maxLength}
        autoFocus={props.autoFocus}
        data-autofocus={props.autoFocus ? "" : undefined}
        pattern={props.pattern}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.hint ? (
        <small id={`${id}-hint`} className="muted">
          {props.hint}
        </small>
      ) : null}
    </div>
  );
}

export function FormError(props: { error: string | undefined }) {
  return props.error ? (
    <p className="form-error" role="alert">
      {props.error}
    </p>
  ) : null;
}

/** A link to an in-app path: navigates in the app, with a real href for new tabs and screen readers. */
export function PathLink(props: { path: string; primary?: boolean; children: ReactNode }) {
  return (
    <a
      href={props.path}
      className={props.primary ? "auth-link button-like primary" : "auth-link"}
      onClick={(e) => {
        e.preventDefault();
        navigate(props.path);
      }}
    >
      {props.children}
    </a>
  );
}
