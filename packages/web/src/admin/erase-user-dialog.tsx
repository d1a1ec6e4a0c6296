/**
 * Admin console → Compliance → GDPR requests: the "Erase user" dialog (GDPR Art. 17). It says
 * what erasure does and that it cannot be undone, asks for the user's username typed again (the
 * server checks it too), and shows the server's refusal in words: a legal hold names its matters.
 * After the erasure it shows what was done in its place.
 */
import { useState, type FormEvent } from "react";
import type { ErasureResult } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { Modal } from "../components/dialogs/modal.tsx";
import { FormError } from "../components/auth/auth-card.tsx";
import { describeEraseError } from "./compliance-text.ts";

/** Whom to erase: their id and current username, and whether the list saw a legal hold covering them. */
export interface EraseTarget {
  userId: string;
  username: string;
  held?: boolean | undefined;
}

export function EraseUserDialog(props: { target: EraseTarget; onErased: (r: ErasureResult) => void; onClose: () => void }) {
  const chat = useChat();
  const { userId, username, held } = props.target;
  const [typed, setTyped] = useState("");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<ErasureResult>();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (typed.trim() !== username) return setError(`Type @${username}'s username exactly to confirm.`);
    setBusy(true);
    setError(undefined);
    try {
      const r = await chat.client.api.call("eraseUser", { params: { id: userId }, body: { confirm: typed.trim(), note: note.trim() } });
      setDone(r);
      props.onErased(r);
    } catch (err) {
      setError(describeEraseError(err, username));
    } finally {
      setBusy(false);
    }
  }

  if (done)
    return (
      <Modal title={`@${username} is erased`} onClose={props.onClose}>
        <p role="status">
          The account is now the deactivated pseudonym <strong>@{done.username}</strong>: {done.devicesRevoked}{" "}
          {done.devicesRevoked === 1 ? "device" : "devices"} revoked, {done.sessionsEnded} {done.sessionsEnded === 1 ? "session" : "sessions"} ended
          {done.completedRequests.length ? `, ${done.completedRequests.length} pending request${done.completedRequests.length === 1 ? "" : "s"} completed` : ""}
          .
        </p>
        <div className="dialog-actions">
          <button type="button" className="primary" onClick={props.onClose}>
            Close
          </button>
        </div>
      </Modal>
    );

  return (
    <Modal title={`Erase @${username}?`} onClose={() => !busy && props.onClose()}>
      <form onSubmit={submit} aria-label={`Erase @${username}`} noValidate className="hold-form erase-form">
        <p className="erase-warning">
          <strong>This cannot be undone.</strong> The account becomes a deactivated pseudonym: every device is revoked and every session ended; the profile,
          email address, picture, sign-in factors and keys are deleted; the personal data in the audit log can no longer be read.
        </p>
        <p className="muted">
          Kept, as docs/gdpr.md lists: the audit chain (without the personal data), the end-to-end-encrypted messages they sent (under the pseudonym), the
          register of requests, and whatever a legal hold keeps. An active legal hold refuses the erasure.
        </p>
        {held ? <p className="badge warn">A legal hold covers @{username} now: the erasure will be refused until it is released.</p> : null}
        <label className="block">
          Type {username} to confirm
          <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} disabled={busy} />
        </label>
        <label className="block">
          Note
          <textarea
            value={note}
            onChange={(e) => setNote(e.target.value)}
            maxLength={1000}
            rows={2}
            disabled={busy}
            placeholder="Request of 2026-01-15 by email"
          />
        </label>
        <FormError error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={props.onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={busy || typed.trim() !== username}>
            {busy ? "Erasing…" : "Erase user"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
