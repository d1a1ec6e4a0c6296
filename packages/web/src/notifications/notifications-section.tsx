/**
 * Profile → Notifications (issue 13): the default level, quiet hours (the same window every
 * day, in the browser's time zone), a snooze, email about unread mentions after some minutes
 * offline, and push notifications on this device. Each
 * channel's override is in the channel's header (ChannelNotifySelect). Keywords are matched on
 * the device (notify/keywords.ts) and saved sealed to the user's key locker: the worker seals and
 * opens them, the server stores only the sealed list. The fields stay disabled until the stored
 * settings have loaded, so a choice made meanwhile is never overwritten by the late answer, and a
 * snooze leaves unsaved edits in the form.
 */
import { useEffect, useState } from "react";
import type { NotificationSettings, NotifyLevel } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { disablePush, enablePush, pushEnabled, pushSupported } from "./push-device.ts";
import { parseKeywords } from "../notify/keywords.ts";

const LEVELS: Array<{ value: NotifyLevel; label: string }> = [
  { value: "all", label: "All new messages" },
  { value: "mentions", label: "Mentions and direct messages" },
  { value: "nothing", label: "Nothing" },
];

const toTime = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
const toMinutes = (t: string) => {
  const [h, m] = t.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};
const EVERY_DAY = [0, 1, 2, 3, 4, 5, 6];

export function NotificationsSection() {
  const chat = useChat();
  const api = chat.client.api;
  const [settings, setSettings] = useState<NotificationSettings>();
  const [level, setLevel] = useState<NotifyLevel>("all");
  const [quiet, setQuiet] = useState(false);
  const [from, setFrom] = useState("22:00");
  const [to, setTo] = useState("07:00");
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [push, setPush] = useState<boolean>();
  const [emailOn, setEmailOn] = useState(false);
  const [delay, setDelay] = useState("15");
  /** The keywords as typed; undefined while they are opened, or when this device cannot open them (no locker key). */
  const [keywords, setKeywords] = useState<string>();
  const [keywordsOpened, setKeywordsOpened] = useState<string>();

  const show = (s: NotificationSettings) => {
    setSettings(s);
    setLevel(s.level);
    setQuiet(s.dndSchedule.length > 0);
    setEmailOn(s.email.enabled);
    setDelay(String(s.email.delayMinutes));
    if (s.dndSchedule[0]) {
      setFrom(toTime(s.dndSchedule[0].start));
      setTo(toTime(s.dndSchedule[0].end));
    }
    void chat.client.openKeywords(s.keywordsSealed).then(
      (list) => {
        const text = list?.join(", ");
        setKeywords(text);
        setKeywordsOpened(text);
      },
      () => setKeywords(undefined),
    );
  };
  useEffect(() => {
    api.call("getNotificationSettings").then(show, (err: unknown) => setError(describeError(err)));
    void pushEnabled().then(setPush, () => setPush(false));
  }, [api]);

  async function run(what: () => Promise<void>, done: string) {
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      await what();
      setSaved(done);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }
  const save = () =>
    run(async () => {
      const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
      const dndSchedule = quiet ? EVERY_DAY.map((day) => ({ day, start: toMinutes(from), end: toMinutes(to) })) : [];
      const email = { enabled: emailOn, delayMinutes: Math.min(1440, Math.max(1, Math.round(Number(delay) || 15))) };
      // Sealed to the key locker in the worker; sent only when changed (another device's list is not overwritten unseen).
      const keywordsSealed = keywords !== undefined && keywords !== keywordsOpened ? await chat.client.sealKeywords(parseKeywords(keywords)) : undefined;
      show(
        await api.call("updateNotificationSettings", {
          body: { level, timeZone, dndSchedule, email, ...(keywordsSealed !== undefined ? { keywordsSealed } : {}) },
        }),
      );
    }, "Notification settings saved.");
  const snooze = (ms: number | null) =>
    run(
      async () => setSettings(await api.call("updateNotificationSettings", { body: { snoozeUntil: ms === null ? null : Date.now() + ms } })),
      ms === null ? "Snooze ended." : "Snoozed.",
    );
  const loading = !settings;
  const snoozedUntil = settings?.snoozeUntil && settings.snoozeUntil > Date.now() ? new Date(settings.snoozeUntil) : undefined;

  return (
    <section aria-labelledby="profile-notifications-h">
      <h2 id="profile-notifications-h" className="section-title">
        Notifications
      </h2>
      <p className="muted">What you are notified of, on every device. A notification says where a message is, never what it says: your device opens it.</p>
      <form
        aria-label="Notification settings"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <fieldset>
          <legend>Notify me of</legend>
          {LEVELS.map((l) => (
            <label key={l.value} className="block">
              <input type="radio" name="notify-level" value={l.value} checked={level === l.value} disabled={loading} onChange={() => setLevel(l.value)} />{" "}
              {l.label}
            </label>
          ))}
        </fieldset>
        <label className="block">
          <input type="checkbox" checked={quiet} disabled={loading} onChange={(e) => setQuiet(e.target.checked)} /> Quiet hours every day
        </label>
        {quiet ? (
          <div>
            <label>
              From <input type="time" aria-label="Quiet from" value={from} onChange={(e) => setFrom(e.target.value)} required />
            </label>{" "}
            <label>
              to <input type="time" aria-label="Quiet until" value={to} onChange={(e) => setTo(e.target.value)} required />
            </label>{" "}
            <span className="muted">({Intl.DateTimeFormat().resolvedOptions().timeZone})</span>
          </div>
        ) : null}
        <label className="block">
          Keywords that notify like a mention{" "}
          <input
            type="text"
            aria-label="Keywords"
            placeholder="deploy, on call, your nickname"
            value={keywords ?? ""}
            disabled={keywords === undefined}
            onChange={(e) => setKeywords(e.target.value)}
          />
        </label>
        <p className="muted">
          {keywords === undefined
            ? "This device cannot read your keywords: they are sealed to your key locker, which it does not hold (see Security)."
            : "Separated by commas; matched on your devices only, as whole words, ignoring case and accents. The server stores them sealed."}
        </p>
        <label className="block">
          <input type="checkbox" checked={emailOn} disabled={loading} onChange={(e) => setEmailOn(e.target.checked)} /> Email me about unread mentions when I am
          away
        </label>
        {emailOn ? (
          <div>
            <label>
              after{" "}
              <input
                type="number"
                aria-label="Minutes away before the email"
                min={1}
                max={1440}
                value={delay}
                onChange={(e) => setDelay(e.target.value)}
                required
              />{" "}
              minutes offline
            </label>{" "}
            <span className="muted">(channel names and counts only, never what was said)</span>
          </div>
        ) : null}
        <FormError error={error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy || !settings}>
            Save
          </button>
          {snoozedUntil ? (
            <button type="button" disabled={busy} onClick={() => void snooze(null)}>
              End snooze (until {snoozedUntil.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })})
            </button>
          ) : (
            <button type="button" disabled={busy || !settings} onClick={() => void snooze(3_600_000)}>
              Snooze for 1 hour
            </button>
          )}
          {saved ? (
            <span className="verified" role="status">
              {saved}
            </span>
          ) : null}
        </div>
      </form>
      <h3 className="section-title">Push notifications on this device</h3>
      {!pushSupported() ? (
        <p className="muted">This browser cannot receive push notifications.</p>
      ) : (
        <div className="form-actions">
          <span>{push ? "On: this device is notified when Parley is closed." : "Off."}</span>
          <button
            type="button"
            disabled={busy || push === undefined}
            onClick={() =>
              void run(
                async () => (push ? disablePush(chat) : enablePush(chat).then(() => undefined)).then(() => setPush(!push)),
                push ? "Push notifications turned off." : "Push notifications turned on.",
              )
            }
          >
            {push ? "Turn off" : "Turn on"}
          </button>
        </div>
      )}
    </section>
  );
}
