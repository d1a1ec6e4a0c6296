/**
 * Admin console, org settings: the two-factor authentication policy — whether it is required,
 * of which roles, and after how many days of grace (0–90) a user without it may only set it up.
 * The server refuses a policy that would cover the acting admin while they have none: the
 * message sends them to their profile first.
 */
import { useEffect, useId, useState, type FormEvent } from "react";
import type { MfaPolicy, OrgRole } from "@parley/protocol";
import { isParleyError } from "@parley/sdk";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError, PathLink } from "../components/auth/auth-card.tsx";
import { describeMfaError } from "../mfa/mfa-errors.ts";
import "../mfa/mfa.css";

const ROLES: OrgRole[] = ["owner", "admin", "member", "guest"];
const ROLE_NAMES: Record<OrgRole, string> = { owner: "Owners", admin: "Admins", member: "Members", guest: "Guests" };
const MAX_GRACE = 90;

export function MfaPolicySection() {
  const chat = useChat();
  const [saved, setSaved] = useState<MfaPolicy>();
  const [required, setRequired] = useState(false);
  const [roles, setRoles] = useState<OrgRole[]>(ROLES);
  const [grace, setGrace] = useState("7");
  const [error, setError] = useState<string>();
  const [mustEnrol, setMustEnrol] = useState(false);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const requiredId = useId();
  const graceId = useId();

  const show = (p: MfaPolicy) => {
    setSaved(p);
    setRequired(p.required);
    setRoles(p.roles);
    setGrace(String(p.graceDays));
  };
  useEffect(() => {
    chat.client.api.call("getMfaPolicy").then(show, (err: unknown) => setError(describeError(err)));
  }, [chat]);

  const graceDays = Number(grace);
  const graceOk = grace.trim() !== "" && Number.isInteger(graceDays) && graceDays >= 0 && graceDays <= MAX_GRACE;
  const changed =
    !!saved &&
    (required !== saved.required || graceDays !== saved.graceDays || roles.length !== saved.roles.length || roles.some((r) => !saved.roles.includes(r)));
  const edit = () => {
    setDone(false);
    setMustEnrol(false);
  };
  const toggleRole = (role: OrgRole, on: boolean) => {
    setRoles((old) => ROLES.filter((r) => (r === role ? on : old.includes(r))));
    edit();
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!graceOk) return setError(`The grace period must be a whole number of days from 0 to ${MAX_GRACE}.`);
    if (roles.length === 0) return setError("Choose at least one role the policy applies to.");
    setBusy(true);
    setError(undefined);
    setMustEnrol(false);
    setDone(false);
    try {
      show(await chat.client.api.call("setMfaPolicy", { body: { required, roles, graceDays } }));
      setDone(true);
    } catch (err) {
      setError(describeMfaError(err, "policy"));
      // The one refusal with a next step: the admin's own authenticator.
      setMustEnrol(isParleyError(err, "bad_request"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label="Two-factor authentication policy" noValidate>
      <h2>Two-factor authentication</h2>
      <div className="check">
        <input
          id={requiredId}
          type="checkbox"
          checked={required}
          disabled={!saved}
          onChange={(e) => {
            setRequired(e.target.checked);
            edit();
          }}
          aria-describedby={`${requiredId}-hint`}
        />
        <label htmlFor={requiredId}>Require two-factor authentication</label>
      </div>
      <small id={`${requiredId}-hint`} className="muted">
        Users of the roles below sign in with their password and a code from an authenticator app.
      </small>
      <fieldset className="roles" disabled={!saved || !required}>
        <legend>Required of</legend>
        {ROLES.map((r) => (
          <label key={r}>
            <input type="checkbox" checked={roles.includes(r)} onChange={(e) => toggleRole(r, e.target.checked)} /> {ROLE_NAMES[r]}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor={graceId}>Grace period (days)</label>
        <input
          id={graceId}
          type="number"
          min={0}
          max={MAX_GRACE}
          value={grace}
          disabled={!saved || !required}
          onChange={(e) => {
            setGrace(e.target.value);
            edit();
          }}
          aria-describedby={`${graceId}-hint`}
          className="narrow"
        />
        <small id={`${graceId}-hint`} className="muted">
          0 to {MAX_GRACE}. For this many days after the policy first applies to them (or after they join), users without two-factor authentication keep using
          Parley as before; after that they must set it up before they can do anything else. 0: at their next sign-in.
        </small>
      </div>
      <p className="note">
        Users already signed in keep their sessions; the policy applies at their next sign-in. Turn it on for yourself first: the policy cannot require it of
        you until you have set it up.
      </p>
      <FormError error={error} />
      {mustEnrol ? <PathLink path="/profile">Set up two-factor authentication on your profile</PathLink> : null}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy || !changed}>
          Save two-factor policy
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
