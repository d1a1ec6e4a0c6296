/**
 * /verify-email#token=…: the link sent to a new email address. Following it makes the
 * address the account's; no session is needed (the link may open in another browser).
 * The token is single use, so it is sent once per page load even where React runs
 * effects twice (StrictMode in development).
 */
import { useEffect, useRef, useState } from "react";
import { AuthCard, PathLink } from "../components/auth/auth-card.tsx";
import { describeAccountError } from "./account-errors.ts";
import { forgetFragment, tokenFromFragment } from "./link-token.ts";
import { publicApi } from "./public-api.ts";

type State = { step: "checking" } | { step: "failed"; message: string } | { step: "done"; email: string };

const NO_TOKEN = "This link is incomplete. Open it again from the email, or copy the whole link into the address bar.";

export function VerifyEmailScreen(props: { signedIn: boolean }) {
  const [token] = useState(() => tokenFromFragment(location.hash));
  const [state, setState] = useState<State>(() => (token ? { step: "checking" } : { step: "failed", message: NO_TOKEN }));
  const sent = useRef<Promise<{ email: string }>>(undefined);

  useEffect(() => forgetFragment(), []);
  useEffect(() => {
    if (!token) return;
    let live = true;
    sent.current ??= publicApi().call("verifyEmail", { body: { token } });
    sent.current.then(
      (r) => live && setState({ step: "done", email: r.email }),
      (err: unknown) => live && setState({ step: "failed", message: describeAccountError(err, "verify-email") }),
    );
    return () => {
      live = false;
    };
  }, [token]);

  const onward = props.signedIn ? (
    <PathLink path="/profile" primary>
      Continue to your profile
    </PathLink>
  ) : (
    <PathLink path="/sign-in" primary>
      Sign in
    </PathLink>
  );
  if (state.step === "checking")
    return (
      <AuthCard title="Confirming your email address">
        <p className="muted" role="status">
          Checking the link…
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
    <AuthCard title="Email address confirmed">
      <p className="notice" role="status">
        Your email address is now <strong>{state.email}</strong>. Password-reset links and security notices go there from now on.
      </p>
      {onward}
    </AuthCard>
  );
}
