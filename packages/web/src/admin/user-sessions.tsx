/**
 * Admin console: one user's active sessions (Users tab row → Sessions, and the Sessions tab),
 * with "End" for one and "Sign out everywhere" for all, each confirmed first. Ending a session
 * signs that browser or app out at its next request; the devices stay registered, so the user
 * signs in again (an admin's own current session is never listed as endable here).
 */
import { useCallback, useEffect, useState } from "react";
import type { Session, User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { SessionTable } from "../components/session-table.tsx";

export function UserSessions(props: { user: User }) {
  const chat = useChat();
  const api = chat.client.api;
  const u = props.user;
  const [sessions, setSessions] = useState<Session[]>();
  const [error, setError] = useState<string>();
  const [ending, setEnding] = useState<Session | "all">();
  const [ended, setEnded] = useState<string>();
  const load = useCallback(
    () =>
      api.call("adminListUserSessions", { params: { id: u.id } }).then(
        (r) => setSessions(r.sessions.sort((a, b) => b.lastUsedAt - a.lastUsedAt)),
        (err: unknown) => setError(describeError(err)),
      ),
    [api, u.id],
  );
  useEffect(() => {
    setSessions(undefined);
    setEnded(undefined);
    void load();
  }, [load]);

  async function end(which: Session | "all") {
    if (which === "all") {
      const r = await api.call("adminRevokeUserSessions", { params: { id: u.id } });
      setEnded(`Signed out everywhere: ${r.ended} session${r.ended === 1 ? "" : "s"} ended.`);
    } else {
      await api.call("adminRevokeUserSession", { params: { id: u.id, sessionId: which.id } });
      setEnded(`The session on ${which.deviceName} ended.`);
    }
    setEnding(undefined);
    await load();
  }

  return (
    <section className="user-sessions" aria-label={`Sessions of ${u.username}`}>
      <FormError error={error} />
      {sessions === undefined ? (
        <p className="muted">Loading…</p>
      ) : (
        <SessionTable sessions={sessions} label={`Sessions of ${u.username}`} onEnd={setEnding} mayEnd={(s) => !s.current} />
      )}
      <div className="form-actions">
        <button
          type="button"
          className="danger"
          disabled={!sessions?.some((s) => !s.current)}
          onClick={() => setEnding("all")}
          aria-label={`Sign out ${u.username} everywhere`}
        >
          Sign out everywhere
        </button>
        {ended ? (
          <span className="verified" role="status">
            {ended}
          </span>
        ) : null}
      </div>
      {ending ? (
        <ConfirmDialog
          title={ending === "all" ? `Sign out @${u.username} everywhere?` : "End this session?"}
          confirmLabel={ending === "all" ? "Sign out everywhere" : "End session"}
          busyLabel="Signing out…"
          onConfirm={() => end(ending)}
          onClose={() => setEnding(undefined)}
        >
          <p>
            {ending === "all"
              ? `Every session of ${u.displayName} ends: each browser and app they use is signed out at its next request.`
              : `${u.displayName} is signed out on ${ending.deviceName} at its next request.`}{" "}
            Their devices, keys and messages stay, and they can sign in again with their password or single sign-on. To keep them out, deactivate the account
            instead.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
