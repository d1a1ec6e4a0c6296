/**
 * Admin console: "Reset two-factor authentication?" for one user who lost their phone and their
 * recovery codes. Says what happens before it is done (their passkeys, authenticator and recovery
 * codes are removed, every session ends), then confirms it.
 */
import { useState } from "react";
import type { User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { Modal } from "../components/dialogs/modal.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { describeMfaError } from "../mfa/mfa-errors.ts";

export function ResetMfaDialog(props: { user: User; onClose: () => void }) {
  const chat = useChat();
  const u = props.user;
  const [reset, setReset] = useState(false);

  if (reset)
    return (
      <Modal title={`Two-factor authentication reset for @${u.username}`} onClose={props.onClose}>
        <p className="notice" role="status">
          {u.displayName} has no passkeys, authenticator app or recovery codes any more and is signed out everywhere. They sign in with their password alone; if
          your organisation requires two-factor authentication, they set it up again at sign-in.
        </p>
        <div className="dialog-actions">
          <button type="button" className="primary" onClick={props.onClose}>
            Done
          </button>
        </div>
      </Modal>
    );

  return (
    <ConfirmDialog
      title="Reset two-factor authentication?"
      confirmLabel="Reset two-factor authentication"
      busyLabel="Resetting…"
      onConfirm={async () => {
        await chat.client.api.call("adminResetMfa", { params: { id: u.id } });
        setReset(true);
      }}
      describe={(err) => describeMfaError(err, "admin-reset")}
      onClose={props.onClose}
    >
      <p>
        Reset the two-factor authentication of <strong>{u.displayName}</strong> (@{u.username}), for example after they lost their phone and their recovery
        codes:
      </p>
      <ul className="reset-facts">
        <li>Their passkeys, authenticator app and all their recovery codes are removed.</li>
        <li>Every session they have ends: they are signed out everywhere.</li>
        <li>Their password, devices, keys and messages stay. Make sure it is really them asking: whoever knows the password can then sign in.</li>
      </ul>
    </ConfirmDialog>
  );
}
