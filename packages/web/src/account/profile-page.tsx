/**
 * The signed-in user's profile (/profile): name and status line, profile picture,
 * email address, password, two-factor authentication, passkeys, sessions and your data (export, erasure request). The page loads the user's own view (GET /me, which
 * carries the email address) and keeps it as each form saves; the app's user list
 * is refreshed too, so the sidebar and messages show the change.
 */
import { useCallback, useEffect, useState, type FormEvent } from "react";
import type { User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { Field, FormError } from "../components/auth/auth-card.tsx";
import { describeAccountError } from "./account-errors.ts";
import { AvatarSection } from "./avatar-section.tsx";
import { EmailSection } from "./email-section.tsx";
import { PasswordSection } from "./password-section.tsx";
import { MfaSection } from "../mfa/mfa-section.tsx";
import { PasskeysSection } from "../passkeys/passkeys-section.tsx";
import { SessionsSection } from "./sessions-section.tsx";
import { YourDataSection } from "./your-data-section.tsx";
import { NotificationsSection } from "../notifications/notifications-section.tsx";

export function ProfilePage(props: { onSignOut: (reason?: string) => void }) {
  const chat = useChat();
  const [me, setMe] = useState<User>(chat.me);
  const [error, setError] = useState<string>();
  // How many passkeys the user has: they are a second factor too, which the two-factor section says.
  const [passkeys, setPasskeys] = useState<number>();
  const passkeysChanged = useCallback((list: unknown[]) => setPasskeys(list.length), []);
  useEffect(() => {
    chat.client.api.call("me").then(
      (r) => setMe(r.user),
      (err: unknown) => setError(describeAccountError(err, "profile")),
    );
  }, [chat]);
  const saved = useCallback(
    (u: User) => {
      // The own view has the email address; a response without one keeps the known address.
      setMe((old) => ({ ...u, email: u.email === undefined ? old.email : u.email }));
      void chat.refreshUsers().catch(() => undefined);
    },
    [chat],
  );

  return (
    <section className="admin" aria-labelledby="profile-title">
      <header className="channel-head">
        <h1 id="profile-title">Your profile</h1>
        <span className="muted">
          @{me.username} · {chat.org.name}
        </span>
      </header>
      <div className="admin-panel">
        <div className="settings-form profile">
          <FormError error={error} />
          <NameSection me={me} onSaved={saved} />
          <AvatarSection me={me} onSaved={saved} />
          <EmailSection me={me} />
          <PasswordSection />
          <MfaSection passkeys={passkeys} />
          <PasskeysSection onChange={passkeysChanged} />
          <NotificationsSection />
          <SessionsSection onSignedOut={props.onSignOut} />
          <YourDataSection />
        </div>
      </div>
    </section>
  );
}

/** Display name and status line; the status can be cleared on its own. */
function NameSection(props: { me: User; onSaved: (u: User) => void }) {
  const chat = useChat();
  const { me, onSaved } = props;
  const [name, setName] = useState(me.displayName);
  const [status, setStatus] = useState(me.statusText ?? "");
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function save(body: { displayName?: string; statusText: string | null }, done: string) {
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      const u = await chat.client.api.call("updateMe", { body });
      onSaved(u);
      setStatus(u.statusText ?? "");
      setSaved(done);
    } catch (err) {
      setError(describeAccountError(err, "profile"));
    } finally {
      setBusy(false);
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    const statusText = status.trim() ? status.trim() : null;
    void save({ displayName: name.trim(), statusText }, "Saved.");
  }

  return (
    <section aria-labelledby="profile-name-h">
      <h2 id="profile-name-h" className="section-title">
        Name and status
      </h2>
      <form onSubmit={submit} aria-label="Name and status">
        <Field label="Display name" name="displayName" value={name} onChange={setName} autoComplete="name" maxLength={80} hint="How others see you." />
        <Field
          label="Status"
          name="statusText"
          value={status}
          onChange={setStatus}
          required={false}
          maxLength={140}
          hint="A short line shown with your name, such as “In a workshop until 3”. Leave it empty for none."
        />
        <FormError error={error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy || !name.trim()}>
            Save
          </button>
          {me.statusText ? (
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
