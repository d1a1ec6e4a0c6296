/**
 * Top level: resume the saved session or show first-run setup, sign-in or
 * invite acceptance; once signed in, the chat shell. A session the server
 * ends (deactivated, revoked) returns here with the reason shown. A session
 * the org restricts until the user sets up two-factor authentication shows
 * the enrolment screen instead of the shell, and the shell once they have. Only one
 * tab of the browser runs the client (DeviceLock); the others offer to take over.
 * The links of account emails (/reset-password, /verify-email) open their own
 * screens whatever the session and the tab lock: they need neither.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { ChatStore } from "./client/chat-store.ts";
import { describeError, EnrolmentSession, needsSetup, resumeSession, signOut, type SignedIn } from "./client/session.ts";
import { DeviceLock } from "./client/device-lock.ts";
import { InUseScreen } from "./client/in-use-screen.tsx";
import { navigate, SIGNED_OUT_ROUTES, useRoute } from "./router.ts";
import { SetupScreen } from "./components/auth/setup-screen.tsx";
import { SignInScreen } from "./components/auth/sign-in-screen.tsx";
import { InviteScreen } from "./components/auth/invite-screen.tsx";
import { Shell } from "./components/shell.tsx";
import { ForgotPasswordScreen } from "./account/forgot-password-screen.tsx";
import { ResetPasswordScreen } from "./account/reset-password-screen.tsx";
import { VerifyEmailScreen } from "./account/verify-email-screen.tsx";
import { UnsubscribeScreen } from "./notifications/unsubscribe-screen.tsx";
import { ForcedEnrolmentScreen } from "./mfa/forced-enrolment-screen.tsx";
import { SsoLandingScreen } from "./sso/sso-landing-screen.tsx";
import { OAuthConsentScreen } from "./oauth/consent-screen.tsx";
import { ssoLogoutUrl } from "./sso/sso-sign-out.ts";

type Phase = "loading" | "setup" | "signin" | "elsewhere" | "taking-over";

export function App() {
  const route = useRoute();
  const [chat, setChat] = useState<ChatStore>();
  const [enrolment, setEnrolment] = useState<EnrolmentSession>();
  const [phase, setPhase] = useState<Phase>("loading");
  const [notice, setNotice] = useState<string>();
  const booted = useRef(false);
  const chatRef = useRef<ChatStore>(undefined);
  chatRef.current = chat;
  const enrolmentRef = useRef<EnrolmentSession>(undefined);
  enrolmentRef.current = enrolment;
  const lock = useRef<DeviceLock>(undefined);

  const toSignedOut = useCallback(async (message?: string) => {
    setNotice(message);
    setPhase((await needsSetup().catch(() => false)) ? "setup" : "signin");
  }, []);

  const adopt = useCallback((s: SignedIn) => {
    if (s instanceof EnrolmentSession) setEnrolment(s);
    else setChat(s);
  }, []);

  const resume = useCallback(() => {
    resumeSession().then(
      (s) => (s ? adopt(s) : toSignedOut()),
      (err: unknown) => toSignedOut(describeError(err)),
    );
  }, [adopt, toSignedOut]);

  useEffect(() => {
    if (booted.current) return;
    booted.current = true;
    // Another tab took over: stop this tab's client (gracefully, but not for long) before it starts there.
    lock.current = new DeviceLock(async () => {
      const c = chatRef.current;
      const e = enrolmentRef.current;
      setChat(undefined);
      setEnrolment(undefined);
      setPhase("elsewhere");
      if (e) return e.close();
      if (!c) return;
      await Promise.race([c.close(), new Promise((r) => setTimeout(r, 1_500))]).catch(() => undefined);
      c.client.terminate();
    });
    void lock.current.acquire().then((mine) => (mine ? resume() : setPhase("elsewhere")));
  }, [resume]);

  const takeOver = useCallback(async () => {
    setPhase("taking-over");
    await lock.current?.takeOver();
    setPhase("loading");
    resume();
  }, [resume]);

  const onSignedIn = useCallback(
    (s: SignedIn) => {
      setNotice(undefined);
      adopt(s);
      if (SIGNED_OUT_ROUTES.has(route.name)) navigate("/", true);
    },
    [adopt, route.name],
  );

  const onSignedOut = useCallback(
    async (reason?: string) => {
      const s = chat ?? enrolment;
      // A session from single sign-on signs out at the IdP too (asked before the session ends).
      const idpLogout = !reason && chat ? await ssoLogoutUrl(chat) : null;
      setChat(undefined);
      setEnrolment(undefined);
      await signOut(s);
      if (idpLogout) return location.assign(idpLogout);
      navigate("/", true);
      await toSignedOut(reason);
    },
    [chat, enrolment, toSignedOut],
  );

  // Enrolled: the restricted session's worker starts the client (the server lifted the restriction).
  const onEnrolled = useCallback(async () => {
    if (!enrolment) return;
    const c = await enrolment.continue();
    setEnrolment(undefined);
    setChat(c);
  }, [enrolment]);

  // A running session the server began to refuse until MFA is set up, now enrolled: start afresh
  // (a new socket, every list loaded again) from the same saved session.
  const onRestart = useCallback(async () => {
    const c = chat;
    if (!c) return;
    setChat(undefined);
    setPhase("loading");
    await c.close().catch(() => undefined);
    resume();
  }, [chat, resume]);

  if (route.name === "reset-password") return <ResetPasswordScreen />;
  if (route.name === "verify-email") return <VerifyEmailScreen signedIn={!!chat} />;
  if (route.name === "unsubscribe") return <UnsubscribeScreen signedIn={!!chat} />;
  if (phase === "elsewhere" || phase === "taking-over") return <InUseScreen onTakeOver={() => void takeOver()} busy={phase === "taking-over"} />;
  if (enrolment)
    return <ForcedEnrolmentScreen api={enrolment.api} me={enrolment.me} org={enrolment.org} onEnrolled={onEnrolled} onSignOut={() => void onSignedOut()} />;
  // An OAuth2 app's consent page; signed out, the sign-in screen below comes first and this follows.
  if (chat && route.name === "oauth-consent") return <OAuthConsentScreen chat={chat} uid={route.uid} />;
  if (chat) return <Shell chat={chat} onSignOut={onSignedOut} onRestart={onRestart} />;
  if (phase === "loading")
    return (
      <div className="splash" role="status">
        Loading Parley…
      </div>
    );
  if (route.name === "sso") return <SsoLandingScreen onSignedIn={onSignedIn} />;
  if (route.name === "invite") return <InviteScreen token={route.token} onSignedIn={onSignedIn} />;
  if (route.name === "forgot-password") return <ForgotPasswordScreen org={route.org} login={route.login} />;
  if (phase === "setup" && route.name !== "sign-in") return <SetupScreen onSignedIn={onSignedIn} onHaveAccount={() => setPhase("signin")} />;
  if (route.name === "sign-in") return <SignInScreen notice={notice} org={route.org} username={route.username} onSignedIn={onSignedIn} />;
  return <SignInScreen notice={notice} onSignedIn={onSignedIn} />;
}
