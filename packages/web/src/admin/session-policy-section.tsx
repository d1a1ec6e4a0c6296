/**
 * Admin console → Sessions: the org's session policy. An idle timeout (minutes) ends a
 * session nobody used for that long, an absolute timeout (hours) ends every session that
 * long after its sign-in, and the IP allow-list limits sign-in and every request to the
 * org's networks. Empty fields mean "no limit of our own". The allow-list is checked here
 * for typos; the server refuses a list that does not include the caller's own address (it
 * would lock them out), and that refusal is shown as such. Fields stay disabled until the
 * stored policy has loaded, so an edit made meanwhile is never overwritten by the late answer.
 */
import { useEffect, useId, useState, type FormEvent } from "react";
import type { SessionPolicy } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { isParleyError } from "@parley/sdk";
import { FormError } from "../components/auth/auth-card.tsx";
import { parseAllowList } from "./ip-allow-list.ts";

const IDLE = { min: 5, max: 525_600 };
const ABSOLUTE = { min: 1, max: 8_760 };

/** A whole number within bounds, null for an empty field, or a problem. */
function limitOf(text: string, bounds: { min: number; max: number }, what: string): number | null | string {
  if (!text.trim()) return null;
  const n = Number(text);
  return Number.isInteger(n) && n >= bounds.min && n <= bounds.max
    ? n
    : `${what} must be a whole number from ${bounds.min} to ${bounds.max}, or empty for none.`;
}

export function SessionPolicySection() {
  const chat = useChat();
  const [saved, setSaved] = useState<SessionPolicy>();
  const [idle, setIdle] = useState("");
  const [absolute, setAbsolute] = useState("");
  const [allow, setAllow] = useState("");
  const [error, setError] = useState<string>();
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const idleId = useId();
  const absId = useId();
  const allowId = useId();

  const show = (p: SessionPolicy) => {
    setSaved(p);
    setIdle(p.idleTimeoutMinutes === null ? "" : String(p.idleTimeoutMinutes));
    setAbsolute(p.absoluteTimeoutHours === null ? "" : String(p.absoluteTimeoutHours));
    setAllow(p.ipAllowList.join("\n"));
  };
  useEffect(() => {
    chat.client.api.call("getSessionPolicy").then(show, (err: unknown) => setError(describeError(err)));
  }, [chat]);
  const edit = (set: (v: string) => void) => (v: string) => {
    set(v);
    setDone(false);
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    const idleTimeoutMinutes = limitOf(idle, IDLE, "The idle timeout");
    const absoluteTimeoutHours = limitOf(absolute, ABSOLUTE, "The absolute timeout");
    const { ranges, problems } = parseAllowList(allow);
    const problem = [idleTimeoutMinutes, absoluteTimeoutHours].find((x) => typeof x === "string") ?? problems[0];
    if (typeof problem === "string") return setError(problem);
    if (ranges.length > 100) return setError("The allow-list holds at most 100 entries: use CIDR blocks for whole networks.");
    setBusy(true);
    setError(undefined);
    setDone(false);
    try {
      show(
        await chat.client.api.call("setSessionPolicy", {
          body: { idleTimeoutMinutes: idleTimeoutMinutes as number | null, absoluteTimeoutHours: absoluteTimeoutHours as number | null, ipAllowList: ranges },
        }),
      );
      setDone(true);
    } catch (err) {
      setError(
        isParleyError(err) && /lock yourself out/.test(err.message)
          ? `Not saved: ${err.message}. Add the network you are connecting from (or connect through one on the list) and save again.`
          : describeError(err),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label="Session policy" noValidate>
      <h2>Session policy</h2>
      <div className="field">
        <label htmlFor={idleId}>Idle timeout (minutes)</label>
        <input
          id={idleId}
          type="number"
          min={IDLE.min}
          max={IDLE.max}
          value={idle}
          disabled={!saved}
          onChange={(e) => edit(setIdle)(e.target.value)}
          aria-describedby={`${idleId}-hint`}
          className="narrow"
        />
        <small id={`${idleId}-hint`} className="muted">
          A session nobody used for this long ends. Empty: the server's own limit (never longer than it).
        </small>
      </div>
      <div className="field">
        <label htmlFor={absId}>Absolute timeout (hours)</label>
        <input
          id={absId}
          type="number"
          min={ABSOLUTE.min}
          max={ABSOLUTE.max}
          value={absolute}
          disabled={!saved}
          onChange={(e) => edit(setAbsolute)(e.target.value)}
          aria-describedby={`${absId}-hint`}
          className="narrow"
        />
        <small id={`${absId}-hint`} className="muted">
          Every session ends this long after its sign-in, however active. Empty: no limit.
        </small>
      </div>
      <div className="field">
        <label htmlFor={allowId}>IP allow-list</label>
        <textarea
          id={allowId}
          rows={4}
          value={allow}
          disabled={!saved}
          placeholder={"10.0.0.0/8\n2001:db8::/32"}
          onChange={(e) => edit(setAllow)(e.target.value)}
          aria-describedby={`${allowId}-hint`}
          className="mono"
        />
        <small id={`${allowId}-hint`} className="muted">
          One address or CIDR block per line. Sign-in, every request and live updates are refused from anywhere else. Empty: any address. Include the network
          you are on now: the server refuses a list that would lock you out.
        </small>
      </div>
      <p className="note">
        Timeouts act when a session next renews itself, within ten minutes. An allow-list applies at once to everyone's next request, bots and API keys
        included.
      </p>
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy || !saved}>
          Save session policy
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
