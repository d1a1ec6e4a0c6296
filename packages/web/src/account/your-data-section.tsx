/**
 * Profile → Your data (GDPR Art. 15, 17, 20): "Download my data" saves the server's export of
 * the account (a ZIP of JSON files; message content is end-to-end encrypted, so the server's
 * export holds none — `parley me export` adds the decrypted history on a device), and "Ask to
 * erase my account" files a request the org's compliance officers answer; the latest request
 * and its answer show here.
 */
import { useCallback, useEffect, useState } from "react";
import type { GdprRequest } from "@parley/protocol";
import { isParleyError } from "@parley/sdk";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { downloadDataExport } from "./data-export.ts";

const when = (t: number) => new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

export function YourDataSection() {
  const chat = useChat();
  const api = chat.client.api;
  const [requests, setRequests] = useState<GdprRequest[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string>();
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

  async function download() {
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      setSaved(`Saved ${await downloadDataExport(chat)}.`);
      void load();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="profile-data-h">
      <h2 id="profile-data-h" className="section-title">
        Your data
      </h2>
      <p className="muted">
        Download what the server holds about you: your profile, devices, sessions, channels, the metadata of what you sent and uploaded, and your audit entries,
        as JSON files in a ZIP. Your messages are end-to-end encrypted, so the server cannot add them: export your decrypted history from a signed-in device
        with <code>parley me export --out my-data.zip</code> (the command-line app).
      </p>
      <div className="form-actions">
        <button type="button" onClick={() => void download()} disabled={busy}>
          {busy ? "Preparing…" : "Download my data"}
        </button>
        {saved ? (
          <span className="verified" role="status">
            {saved}
          </span>
        ) : null}
      </div>
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
