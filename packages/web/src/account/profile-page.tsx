/**
 * The signed-in user's profile (/profile): name, status, title and time zone (name-section.tsx), profile picture,
 * email address, password, two-factor authentication, passkeys, sessions, connected apps and your data (export, erasure request). The page loads the user's own view (GET /me, which
 * carries the email address) and keeps it as each form saves; the app's user list
 * is refreshed too, so the sidebar and messages show the change.
 */
import { useCallback, useEffect, useState } from "react";
import type { User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { NameSection } from "./name-section.tsx";
import { describeAccountError } from "./account-errors.ts";
import { AvatarSection } from "./avatar-section.tsx";
import { EmailSection } from "./email-section.tsx";
import { PasswordSection } from "./password-section.tsx";
import { MfaSection } from "../mfa/mfa-section.tsx";
import { PasskeysSection } from "../passkeys/passkeys-section.tsx";
import { SessionsSection } from "./sessions-section.tsx";
import { YourDataSection } from "./your-data-section.tsx";
import { ConnectedAppsSection } from "../oauth/connected-apps-section.tsx";
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
          <ConnectedAppsSection />
          <YourDataSection />
        </div>
      </div>
    </section>
  );
}
