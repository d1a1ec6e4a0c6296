/**
 * Profile → Your data (GDPR Art. 15, 17, 20): "Download my data" saves the server's export of
 * the account (a ZIP of JSON files; message content is end-to-end encrypted, so the server's
 * export holds none) with, unless unticked, this device's decrypted history added to the same ZIP
 * as `parley me export` does — read in the client worker with progress shown and a Cancel button;
 * "Ask to erase my account" files a request the org's compliance officers answer; the latest
 * request and its answer show here.
 */
import { useCallback, useEffect, useId, useRef, useState } from "react";
import type { GdprRequest } from "@parley/protocol";
import { isParleyError, type HistoryExportProgress } from "@parley/sdk";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { downloadDataExport, downloadMyDataWithHistory } from "./data-export.ts";

const when = (t: number) => new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

export function YourDataSection() {
  const chat = useChat();
  const api = chat.client.api;
  const [requests, setRequests] = useState<GdprRequest[]>();
  const [error, setError] = useState<string>();
  const [asking, setAsking] = useState(false);
  const [note, setNote] = useState("");
  const load = useCallback(
    () =>
      api.call("listMyGdprRequests").then(
        (r) => setRequests(r.requests),
        (err: unknown) => setError(describeError(err)),
      ),
    [api],
  );
  useEffect(() => {
    void load();
  }, [load]);
  const erasure = requests?.find((r) => r.kind === "erase");

  return (
    <section aria-labelledby="profile-data-h">
      <h2 id="profile-data-h" className="section-title">
        Your data
      </h2>
      <DownloadMyData onSaved={() => void load()} />
      <p className="muted">
        You can ask your organisation's compliance officers to erase your account and personal data. They erase it or tell you why they cannot (records they
        must keep, a legal hold).
      </p>
      {erasure ? <ErasureState request={erasure} /> : null}
      <FormError error={error} />
      <div className="form-actions">
        <button
          type="button"
          className="danger"
          onClick={() => (setNote(""), setAsking(true))}
          disabled={requests === undefined || erasure?.status === "pending" || erasure?.status === "completed"}
        >
          Ask to erase my account
        </button>
      </div>
      {asking ? (
        <ConfirmDialog
          title="Ask to erase your account?"
          confirmLabel="Send request"
          busyLabel="Sending…"
          describe={(err) =>
            isParleyError(err, "already_exists") ? "You already asked: the compliance officers will answer your request." : describeError(err)
          }
          onConfirm={async () => {
            await api.call("createGdprRequest", { body: { kind: "erase", note: note.trim() } });
            setAsking(false);
            await load();
          }}
          onClose={() => setAsking(false)}
        >
          <p>
            Once an officer erases it, this account can never sign in again: every device is signed out, and your profile and personal data are deleted.
            Download your data first if you want a copy.
          </p>
          <label className="block">
            Message to the officers (optional)
            <textarea value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} rows={3} />
          </label>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

const count = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

function describeProgress(p: HistoryExportProgress | undefined): string {
  if (!p) return "Downloading your data from the server…";
  const where = p.name ? `#${p.name}` : "a direct message";
  return `Decrypting your messages on this device: channel ${p.channel} of ${p.channels} (${where}), ${count(p.total, "event")} so far…`;
}

/** "Download my data": the server's ZIP, with this device's decrypted messages added unless unticked. */
function DownloadMyData(props: { onSaved: () => void }) {
  const chat = useChat();
  const checkboxId = useId();
  const [withMessages, setWithMessages] = useState(true);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<HistoryExportProgress>();
  const [saved, setSaved] = useState<string>();
  const [error, setError] = useState<string>();
  const running = useRef<AbortController>(undefined);
  // Leaving the page stops an export in progress (its result would have nowhere to go).
  useEffect(() => () => running.current?.abort(), []);

  async function download() {
    const stop = new AbortController();
    running.current = stop;
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    setProgress(undefined);
    let last: HistoryExportProgress | undefined;
    try {
      if (!withMessages) setSaved(`Saved ${await downloadDataExport(chat)}.`);
      else {
        const file = await downloadMyDataWithHistory(chat, { signal: stop.signal, onProgress: (p) => setProgress((last = p)) });
        setSaved(
          last
            ? `Saved ${file}: your data from the server and ${count(last.total, "event")} from ${count(last.channels, "channel")}, decrypted on this device.`
            : `Saved ${file}.`,
        );
      }
      props.onSaved();
    } catch (err) {
      if (stop.signal.aborted) setSaved("Cancelled: nothing was saved.");
      else setError(describeError(err));
    } finally {
      running.current = undefined;
      setBusy(false);
      setProgress(undefined);
    }
  }

  return (
    <>
      <p className="muted">
        Download what the server holds about you: your profile, devices, sessions, channels, the metadata of what you sent and uploaded, and your audit entries,
        as JSON files in a ZIP. Your messages are end-to-end encrypted, so the server cannot add them: this device decrypts the messages of every channel you
        are in and adds them to the same ZIP (<code>messages/</code>, one line per event). They are read and packed here and sent nowhere; messages this device
        cannot read (from before it could read a channel) are listed as unreadable. This can take a while with a long history.
      </p>
      <div className="check">
        <input id={checkboxId} type="checkbox" checked={withMessages} onChange={(e) => setWithMessages(e.target.checked)} disabled={busy} />
        <label htmlFor={checkboxId}>Include my decrypted messages from this device</label>
      </div>
      <div className="form-actions">
        <button type="button" onClick={() => void download()} disabled={busy}>
          {busy ? "Preparing…" : "Download my data"}
        </button>
        {busy && withMessages ? (
          <button type="button" onClick={() => running.current?.abort()}>
            Cancel
          </button>
        ) : null}
        {saved ? (
          <span className="verified" role="status">
            {saved}
          </span>
        ) : null}
      </div>
      {busy && withMessages ? (
        <div className="export-progress" role="status" aria-label="Export progress">
          <progress max={progress?.channels ?? 1} value={progress ? progress.channel : undefined} aria-label="Channels read" />
          <span className="muted">{describeProgress(progress)}</span>
        </div>
      ) : null}
      <FormError error={error} />
    </>
  );
}

/** The latest erasure request: pending, or declined with the officer's answer. */
function ErasureState(props: { request: GdprRequest }) {
  const r = props.request;
  if (r.status === "pending")
    return (
      <p className="notice" data-testid="erasure-request">
        You asked for your erasure on {when(r.requestedAt)}. The compliance officers will answer.
      </p>
    );
  if (r.status === "declined")
    return (
      <p className="notice" data-testid="erasure-request">
        Your erasure request of {when(r.requestedAt)} was declined{r.decidedAt !== null ? ` on ${when(r.decidedAt)}` : ""}: “{r.response}”. You may ask again,
        or complain to your data-protection supervisory authority.
      </p>
    );
  return null;
}
