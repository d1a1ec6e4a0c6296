/**
 * Profile → Sessions: where you are signed in (each browser, app or API key session), with
 * End for one, "Sign out everywhere else" (this session goes on) and "Sign out everywhere"
 * (this one too: the app returns to the sign-in screen). Devices stay registered.
 */
import { useCallback, useEffect, useState } from "react";
import type { Session } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { SessionTable } from "../components/session-table.tsx";

export function SessionsSection(props: { onSignedOut: (reason: string) => void }) {
  const chat = useChat();
  const api = chat.client.api;
  const [sessions, setSessions] = useState<Session[]>();
  const [error, setError] = useState<string>();
  const [ending, setEnding] = useState<Session | "others" | "all">();
  const [ended, setEnded] = useState<string>();
  const load = useCallback(
    () =>
      api.call("listSessions").then(
        (r) => setSessions(r.sessions.sort((a, b) => Number(b.current) - Number(a.current) || b.lastUsedAt - a.lastUsedAt)),
        (err: unknown) => setError(describeError(err)),
      ),
    [api],
  );
  useEffect(() => {
    void load();
  }, [load]);

  async function end(which: Session | "others" | "all") {
    if (which === "all") {
      await api.call("signOutEverywhere", { body: { keepCurrent: false } });
      // This session has ended too: back to the sign-in screen.
      props.onSignedOut("You signed out everywhere. Sign in again.");
      return;
    }
    if (which === "others") {
      const r = await api.call("signOutEverywhere", { body: { keepCurrent: true } });
      setEnded(`Signed out everywhere else: ${r.ended} session${r.ended === 1 ? "" : "s"} ended.`);
    } else {
      await api.call("revokeSession", { params: { id: which.id } });
      setEnded(`The session on ${which.deviceName} ended.`);
    }
    setEnding(undefined);
    await load();
  }

  const others = sessions?.filter((s) => !s.current).length ?? 0;
  return (
    <section aria-labelledby="profile-sessions-h">
      <h2 id="profile-sessions-h" className="section-title">
        Sessions
      </h2>
      <p className="muted">Where you are signed in. End any you do not recognise, then change your password.</p>
      <FormError error={error} />
      {sessions ? <SessionTable sessions={sessions} label="Your sessions" onEnd={setEnding} mayEnd={(s) => !s.current} /> : null}
      <div className="form-actions">
        <button type="button" disabled={!others} onClick={() => setEnding("others")}>
          Sign out everywhere else
        </button>
        <button type="button" className="danger" onClick={() => setEnding("all")}>
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
          title={ending === "all" ? "Sign out everywhere?" : ending === "others" ? "Sign out everywhere else?" : "End this session?"}
          confirmLabel={ending === "all" ? "Sign out everywhere" : ending === "others" ? "Sign out other sessions" : "End session"}
          busyLabel="Signing out…"
          onConfirm={() => end(ending)}
          onClose={() => setEnding(undefined)}
        >
          <p>
            {ending === "all"
              ? "Every session ends, this one included: each browser and app you use is signed out, and you sign in again here."
              : ending === "others"
                ? "Every other browser and app you use is signed out at its next request. This one stays signed in."
                : `${ending.deviceName} is signed out at its next request.`}{" "}
            Your devices, keys and messages stay.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
