/**
 * Where a single sign-on lands (`/sso#code=…` or `/sso#error=…`). The fragment is read once and
 * removed from the address bar and history at once (the code works once, from this browser, for
 * two minutes); the code is exchanged for a session in a new client worker, as a password
 * sign-in would be. A refusal shows the server's message and the way back to sign-in.
 */
import { useEffect, useRef, useState } from "react";
import { completeSso, describeError, type SignedIn } from "../client/session.ts";
import { AuthCard, FormError, PathLink } from "../components/auth/auth-card.tsx";
import { readLanding, type SsoLanding } from "./sso-links.ts";

function landingError(l: SsoLanding): string | undefined {
  if ("code" in l) return undefined;
  if ("nothing" in l) return "This page finishes a single sign-on, and there is none to finish. Start from the sign-in screen.";
  if (l.error === "login_throttled") return `Too many failed sign-ins from this address: ${l.message}`;
  return l.message ? `${l.message[0]!.toUpperCase()}${l.message.slice(1)}.` : "Single sign-on did not complete. Start again from the sign-in screen.";
}

export function SsoLandingScreen(props: { onSignedIn: (s: SignedIn) => void }) {
  const [landing] = useState(() => readLanding(location.hash));
  const [error, setError] = useState(() => landingError(landing));
  const used = useRef(false);
  useEffect(() => {
    if (location.hash) history.replaceState(null, "", location.pathname);
    if (!("code" in landing) || used.current) return;
    used.current = true;
    completeSso({ code: landing.code }).then(props.onSignedIn, (err: unknown) => setError(describeError(err)));
  }, [landing, props.onSignedIn]);
  if (!error)
    return (
      <AuthCard title="Signing you in…">
        <p className="muted" role="status">
          Finishing single sign-on.
        </p>
      </AuthCard>
    );
  return (
    <AuthCard title="Single sign-on failed">
      <FormError error={error} />
      <PathLink path="/sign-in" primary>
        Back to sign-in
      </PathLink>
    </AuthCard>
  );
}
