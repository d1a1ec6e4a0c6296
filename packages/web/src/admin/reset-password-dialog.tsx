/**
 * Admin console: "Reset password?" for one user. Says what happens before it is done
 * (the old password stops working, every session ends, the devices stay), then shows the
 * outcome: the link was emailed to the user, or — when they have no address or the server
 * sends no email — the one-time link for the admin to hand over, with a copy button.
 */
import { useState } from "react";
import type { User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { Modal } from "../components/dialogs/modal.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { CopyField } from "../components/copy-field.tsx";
import { describeAccountError } from "../account/account-errors.ts";

type Outcome = { emailed: boolean; resetUrl?: string | undefined; expiresAt: number };

export function ResetPasswordDialog(props: { user: User; onClose: () => void }) {
  const chat = useChat();
  const u = props.user;
  const [outcome, setOutcome] = useState<Outcome>();
  const close = props.onClose;
  const until = outcome ? new Date(outcome.expiresAt).toLocaleString() : "";

  if (outcome)
    return (
      <Modal title={`Password reset for @${u.username}`} onClose={close}>
        {outcome.emailed ? (
          <p className="notice" role="status">
            A reset link was emailed to {u.displayName}
            {u.email ? ` at ${u.email}` : ""}. It works once, until {until}. Their old password no longer works and their sessions have ended.
          </p>
        ) : outcome.resetUrl ? (
          <div role="status">
            <p>
              The old password no longer works and every session of {u.displayName} has ended. Give them this link in person or over a channel you trust: it
              lets whoever opens it choose the password. It works once, until {until}, and is shown only now.
            </p>
            <div className="invite-link">
              <CopyField label={`One-time reset link for @${u.username}`} value={outcome.resetUrl} />
            </div>
          </div>
        ) : (
          <p className="form-error" role="alert">
            The password was reset, but the server neither emailed a link nor returned one. Reset it again to get a link.
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="primary" onClick={close}>
            Done
          </button>
        </div>
      </Modal>
    );

  return (
    <ConfirmDialog
      title="Reset password?"
      confirmLabel="Reset password"
      busyLabel="Resetting…"
      onConfirm={async () => setOutcome(await chat.client.api.call("adminResetPassword", { params: { id: u.id } }))}
      describe={(err) => describeAccountError(err, "admin-reset-password")}
      onClose={close}
    >
      <p>
        Reset the password of <strong>{u.displayName}</strong> (@{u.username}):
      </p>
      <ul className="reset-facts">
        <li>Their current password stops working at once, and every session they have ends: they are signed out everywhere.</li>
        <li>Their devices, keys and messages stay; they sign in again with the new password.</li>
        <li>
          {u.email
            ? `A link to choose a new password is emailed to ${u.email}. If this server cannot send email, you get the link to hand over instead.`
            : "They have no email address, so you get a link to hand over: whoever opens it chooses the password."}
        </li>
        <li>The link works once, for one hour.</li>
      </ul>
    </ConfirmDialog>
  );
}
