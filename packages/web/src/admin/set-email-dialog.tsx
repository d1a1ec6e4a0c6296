/**
 * Admin console: set or clear a user's email address. It takes effect at once (no
 * confirmation link: the admin vouches for it); the old address, if any, is told, and
 * the server voids the user's open reset and email links.
 */
import { useState, type FormEvent } from "react";
import type { User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { Modal } from "../components/dialogs/modal.tsx";
import { Field } from "../components/auth/auth-card.tsx";
import { describeAccountError } from "../account/account-errors.ts";

export function SetEmailDialog(props: { user: User; onClose: () => void; onSaved: () => void }) {
  const chat = useChat();
  const u = props.user;
  const [email, setEmail] = useState(u.email ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function save(value: string | null) {
    setBusy(true);
    setError(undefined);
    try {
      await chat.client.api.call("adminSetEmail", { params: { id: u.id }, body: { email: value } });
      props.onSaved();
      props.onClose();
    } catch (err) {
      setError(describeAccountError(err, "admin-set-email"));
      setBusy(false);
    }
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save(email.trim() ? email.trim() : null);
  };
  const close = () => {
    if (!busy) props.onClose();
  };

  return (
    <Modal title={`Email address of @${u.username}`} onClose={close}>
      <form onSubmit={submit}>
        <p className="muted">
          Password-reset links and security notices for {u.displayName} go to this address. It applies at once
          {u.email ? `; ${u.email} is told of the change` : ""}, and any reset or email link of theirs still open stops working (a reset link you handed over
          too). Leave it empty to remove the address.
        </p>
        <Field
          label="Email address"
          name="email"
          type="email"
          value={email}
          onChange={setEmail}
          required={false}
          autoComplete="off"
          maxLength={254}
          autoFocus
          data-autofocus
        />
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" onClick={close} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Saving…" : email.trim() ? "Save" : "Remove address"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
