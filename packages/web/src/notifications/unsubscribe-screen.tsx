/**
 * /unsubscribe#token=…: the link at the foot of a mention email. Opening it turns mention email
 * off for the account the token names — one click, no sign-in needed (the link may open in a
 * browser that never signed in). Using it twice is harmless: the second time says it was off.
 */
import { useEffect, useRef, useState } from "react";
import { AuthCard, PathLink } from "../components/auth/auth-card.tsx";
import { describeError } from "../client/session.ts";
import { forgetFragment, tokenFromFragment } from "../account/link-token.ts";
import { publicApi } from "../account/public-api.ts";

type State = { step: "working" } | { step: "failed"; message: string } | { step: "done"; changed: boolean };

/** Unsubscribe tokens are longer than account links' (they carry the org and a sealed user id). */
const MAX_TOKEN = 2048;
const NO_TOKEN = "This link is incomplete. Open it again from the email, or turn mention email off under Profile → Notifications.";

export function UnsubscribeScreen(props: { signedIn: boolean }) {
  const [token] = useState(() => tokenFromFragment(location.hash, MAX_TOKEN));
  const [state, setState] = useState<State>(() => (token ? { step: "working" } : { step: "failed", message: NO_TOKEN }));
  const sent = useRef<Promise<{ changed: boolean }>>(undefined);

  useEffect(() => forgetFragment(), []);
  useEffect(() => {
    if (!token) return;
    let live = true;
    sent.current ??= publicApi().call("unsubscribeMentionEmail", { body: { token } });
    sent.current.then(
      (r) => live && setState({ step: "done", changed: r.changed }),
      (err: unknown) => live && setState({ step: "failed", message: describeError(err) }),
    );
    return () => {
      live = false;
    };
  }, [token]);

  const onward = (
    <PathLink path={props.signedIn ? "/profile" : "/sign-in"} primary>
      {props.signedIn ? "Notification settings" : "Sign in"}
    </PathLink>
  );
  if (state.step === "working")
    return (
      <AuthCard title="Unsubscribing">
        <p className="muted" role="status">
          Turning mention email off…
        </p>
      </AuthCard>
    );
  if (state.step === "failed")
    return (
      <AuthCard title="This link does not work">
        <p className="form-error" role="alert">
          {state.message}
        </p>
        {onward}
      </AuthCard>
    );
  return (
    <AuthCard title="Unsubscribed">
      <p className="notice" role="status">
        {state.changed ? "You will get no more email about mentions." : "Mention email was already off."} You can turn it on again under Profile →
        Notifications.
      </p>
      {onward}
    </AuthCard>
  );
}
