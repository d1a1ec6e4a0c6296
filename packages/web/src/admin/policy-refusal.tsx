/** A refused policy change or validation: the summary, then the problems or the policies the server named. */
import type { PolicyRefusal } from "./access-text.ts";

export function PolicyRefusalView(props: { refusal: PolicyRefusal | undefined }) {
  const r = props.refusal;
  if (!r) return null;
  return (
    <div className="form-error policy-refusal" role="alert">
      <p>{r.message}</p>
      {r.problems.length ? (
        <ul aria-label="Problems">
          {r.problems.map((p, i) => (
            <li key={i}>
              <span className="mono">{p.message}</span>
              {p.help ? <div className="muted">{p.help}</div> : null}
            </li>
          ))}
        </ul>
      ) : null}
      {r.policies.length ? (
        <ul aria-label="Policies concerned">
          {r.policies.map((n) => (
            <li key={n}>“{n}”</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
