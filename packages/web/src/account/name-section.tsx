/**
 * The profile form (issue 13): display name; status as emoji, text and when it clears
 * (Slack's choices: 30 minutes, 1 hour, 4 hours, today, this week, a date and time, or
 * never), with a few ready-made statuses; job title; time zone. A status is saved as one.
 */
import { useMemo, useState, type FormEvent } from "react";
import { STATUS_DURATIONS, statusEndsAt, type StatusDuration, type User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { Field, FormError } from "../components/auth/auth-card.tsx";
import { describeAccountError } from "./account-errors.ts";
import { untilLabel } from "../people/profile-format.ts";

/** What PATCH /me takes (null clears a field). */
interface ProfileBody {
  displayName?: string;
  statusText?: string | null;
  statusEmoji?: string | null;
  statusExpiresAt?: number | null;
  title?: string | null;
  timeZone?: string | null;
}

type Clear = "never" | "keep" | "custom" | StatusDuration;

const CLEAR_LABEL: Record<StatusDuration, string> = { "30m": "30 minutes", "1h": "1 hour", "4h": "4 hours", today: "Today", week: "This week" };
const PRESETS: Array<{ emoji: string; text: string; clear: Clear }> = [
  { emoji: "📅", text: "In a meeting", clear: "1h" },
  { emoji: "🚌", text: "Commuting", clear: "30m" },
  { emoji: "🤒", text: "Out sick", clear: "today" },
  { emoji: "🌴", text: "Vacationing", clear: "never" },
  { emoji: "🏠", text: "Working remotely", clear: "today" },
];

/** The browser's time zones (and its own, which Intl may spell as an alias). */
function timeZones(): string[] {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return all.includes(own) ? all : [own, ...all];
}

/** A datetime-local value (local time, minutes) for `ms`. */
function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

export function NameSection(props: { me: User; onSaved: (u: User) => void }) {
  const chat = useChat();
  const { me, onSaved } = props;
  const [name, setName] = useState(me.displayName);
  const [emoji, setEmoji] = useState(me.statusEmoji ?? "");
  const [status, setStatus] = useState(me.statusText ?? "");
  const [clear, setClear] = useState<Clear>(me.statusExpiresAt ? "keep" : "never");
  const [clearAt, setClearAt] = useState(() => localInput(Date.now() + 3600_000));
  const [title, setTitle] = useState(me.title ?? "");
  const [timeZone, setTimeZone] = useState(me.timeZone ?? "");
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const [busy, setBusy] = useState(false);
  const zones = useMemo(timeZones, []);
  const deviceZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  async function save(body: ProfileBody, done: string) {
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      const u = await chat.client.api.call("updateMe", { body });
      onSaved(u);
      setEmoji(u.statusEmoji ?? "");
      setStatus(u.statusText ?? "");
      setClear(u.statusExpiresAt ? "keep" : "never");
      setSaved(done);
    } catch (err) {
      setError(describeAccountError(err, "profile"));
    } finally {
      setBusy(false);
    }
  }

  function expiresAt(): number | null {
    if (clear === "never") return null;
    if (clear === "keep") return me.statusExpiresAt ?? null;
    if (clear === "custom") return new Date(clearAt).getTime();
    return statusEndsAt(clear, new Date());
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    const statusText = status.trim() || null;
    const statusEmoji = emoji.trim() || null;
    void save(
      {
        displayName: name.trim(),
        statusText,
        statusEmoji,
        statusExpiresAt: statusText || statusEmoji ? expiresAt() : null,
        title: title.trim() || null,
        timeZone: timeZone.trim() || null,
      },
      "Saved.",
    );
  }

  return (
    <section aria-labelledby="profile-name-h">
      <h2 id="profile-name-h" className="section-title">
        Name and status
      </h2>
      <form onSubmit={submit} aria-label="Name and status">
        <Field label="Display name" name="displayName" value={name} onChange={setName} autoComplete="name" maxLength={80} hint="How others see you." />
        <div className="status-presets" role="group" aria-label="Suggested statuses">
          {PRESETS.map((p) => (
            <button
              key={p.text}
              type="button"
              onClick={() => {
                setEmoji(p.emoji);
                setStatus(p.text);
                setClear(p.clear);
              }}
            >
              {p.emoji} {p.text}
            </button>
          ))}
        </div>
        <Field
          label="Status emoji"
          name="statusEmoji"
          value={emoji}
          onChange={setEmoji}
          required={false}
          maxLength={16}
          hint="One emoji shown before your status, such as 🌴."
        />
        <Field
          label="Status"
          name="statusText"
          value={status}
          onChange={setStatus}
          required={false}
          maxLength={140}
          hint="A short line shown with your name, such as “In a workshop until 3”. Leave it and the emoji empty for none."
        />
        <div className="field">
          <label htmlFor="status-clear">Clear status after</label>
          <select id="status-clear" value={clear} onChange={(e) => setClear(e.target.value as Clear)}>
            <option value="never">Don’t clear</option>
            {me.statusExpiresAt ? <option value="keep">As set ({untilLabel(me.statusExpiresAt, Date.now())})</option> : null}
            {STATUS_DURATIONS.map((d) => (
              <option key={d} value={d}>
                {CLEAR_LABEL[d]}
              </option>
            ))}
            <option value="custom">Choose date and time</option>
          </select>
        </div>
        {clear === "custom" ? <Field label="Clear at" name="statusClearAt" type="datetime-local" value={clearAt} onChange={setClearAt} /> : null}
        <Field label="Title" name="title" value={title} onChange={setTitle} required={false} maxLength={100} hint="Your role, such as “Head of Payments”." />
        <div className="field">
          <label htmlFor="profile-tz">Time zone</label>
          <input
            id="profile-tz"
            name="timeZone"
            list="profile-tz-list"
            value={timeZone}
            onChange={(e) => setTimeZone(e.target.value)}
            placeholder={deviceZone}
          />
          <datalist id="profile-tz-list">
            {zones.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          {timeZone !== deviceZone ? (
            <button type="button" className="link" onClick={() => setTimeZone(deviceZone)}>
              Use this device’s ({deviceZone})
            </button>
          ) : null}
        </div>
        <FormError error={error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy || !name.trim()}>
            Save
          </button>
          {me.statusText || me.statusEmoji ? (
            <button type="button" disabled={busy} onClick={() => void save({ statusText: null }, "Status cleared.")}>
              Clear status
            </button>
          ) : null}
          {saved ? (
            <span className="verified" role="status">
              {saved}
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}
