/**
 * Admin console → Compliance → Retention: the org's policy — how long messages, attachments
 * and audit entries are kept (days, or forever). The fields stay disabled until the stored
 * policy has loaded, so an edit made meanwhile is never overwritten by the late answer.
 */
import { useEffect, useState, type FormEvent } from "react";
import type { OrgRetention } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { describeAccessError } from "./access-text.ts";
import { PeriodField } from "./period-field.tsx";
import { parsePeriods, periodInput, type PeriodInput } from "./retention-periods.ts";

type Fields = Record<keyof OrgRetention, PeriodInput>;

const fieldsOf = (p: OrgRetention): Fields => ({
  eventsDays: periodInput(p.eventsDays),
  filesDays: periodInput(p.filesDays),
  auditDays: periodInput(p.auditDays),
});
const same = (a: PeriodInput, b: PeriodInput) => a.forever === b.forever && (a.forever || a.days.trim() === b.days.trim());

export function OrgRetentionForm(props: { saved: OrgRetention | undefined; onSaved: () => void }) {
  const api = useChat().client.api;
  const [fields, setFields] = useState<Fields>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  // Filled from the stored policy once, when it first arrives: later reloads (a run's progress) never overwrite an edit.
  const saved = props.saved;
  useEffect(() => {
    if (saved) setFields((f) => f ?? fieldsOf(saved));
  }, [saved]);

  const stored = props.saved ? fieldsOf(props.saved) : undefined;
  const changed = !!fields && !!stored && (Object.keys(fields) as (keyof Fields)[]).some((k) => !same(fields[k], stored[k]));
  const set = (k: keyof Fields) => (v: PeriodInput) => {
    setFields((f) => (f ? { ...f, [k]: v } : f));
    setDone(false);
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!fields) return;
    const parsed = parsePeriods({
      eventsDays: ["Messages", fields.eventsDays],
      filesDays: ["Attachments", fields.filesDays],
      auditDays: ["Audit log", fields.auditDays],
    });
    if ("error" in parsed) return setError(parsed.error);
    setBusy(true);
    setError(undefined);
    try {
      await api.call("setRetention", { body: parsed.values });
      setDone(true);
      props.onSaved();
    } catch (err) {
      setError(describeAccessError(err));
    } finally {
      setBusy(false);
    }
  }

  const disabled = !fields || busy;
  const blank = periodInput(null);
  return (
    <form onSubmit={submit} aria-label="Organisation retention policy" noValidate>
      <h3>Organisation policy</h3>
      <PeriodField
        label="Messages"
        hint="Messages, reactions, edits and deletions older than this are removed, from the server and from members' devices."
        value={fields?.eventsDays ?? blank}
        disabled={disabled}
        onChange={set("eventsDays")}
      />
      <PeriodField
        label="Attachments"
        hint="Files older than this are removed; the message that carried one stays."
        value={fields?.filesDays ?? blank}
        disabled={disabled}
        onChange={set("filesDays")}
      />
      <PeriodField
        label="Audit log"
        hint="Entries older than this are pruned down to a signed checkpoint, so the rest of the log still verifies."
        value={fields?.auditDays ?? blank}
        disabled={disabled}
        onChange={set("auditDays")}
      />
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={disabled || !changed}>
          Save retention policy
        </button>
        {done ? (
          <span className="verified" role="status">
            Saved. The next run applies it.
          </span>
        ) : null}
      </div>
    </form>
  );
}
