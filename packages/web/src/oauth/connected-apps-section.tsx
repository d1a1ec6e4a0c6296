/**
 * Profile → Connected apps: the OAuth2 apps you allowed (scopes, since when, last use) with
 * Disconnect, which revokes the grant: the app's next call is refused.
 */
import { useCallback, useEffect, useState } from "react";
import type { OAuthGrant } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { GrantsTable } from "./grants-table.tsx";

export function ConnectedAppsSection() {
  const api = useChat().client.api;
  const [grants, setGrants] = useState<OAuthGrant[]>();
  const [error, setError] = useState<string>();
  const [ending, setEnding] = useState<OAuthGrant>();
  const load = useCallback(
    () =>
      api.call("listMyOAuthGrants").then(
        (r) => setGrants(r.grants),
        (err: unknown) => setError(describeError(err)),
      ),
    [api],
  );
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section aria-labelledby="profile-apps-h">
      <h2 id="profile-apps-h" className="section-title">
        Connected apps
      </h2>
      <p className="muted">Apps you allowed to use your account. They never see message content.</p>
      <FormError error={error} />
      {grants === undefined ? null : grants.length === 0 ? (
        <p className="muted">No connected apps.</p>
      ) : (
        <GrantsTable grants={grants} label="Connected apps" action="Disconnect" onAction={setEnding} />
      )}
      {ending ? (
        <ConfirmDialog
          title={`Disconnect ${ending.appName}?`}
          confirmLabel="Disconnect"
          busyLabel="Disconnecting…"
          onConfirm={async () => {
            await api.call("revokeMyOAuthGrant", { params: { id: ending.id } });
            setEnding(undefined);
            await load();
          }}
          onClose={() => setEnding(undefined)}
        >
          <p>{ending.appName} loses access at once. To use it again, connect it again from the app.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
