/**
 * Top level: resume the saved session or show first-run setup, sign-in or
 * invite acceptance; once signed in, the chat shell. A session the server
 * ends (deactivated, revoked) returns here with the reason shown. Only one
 * tab of the browser runs the client (DeviceLock); the others offer to take over.
 * The links of account emails (/reset-password, /verify-email) open their own
 * screens whatever the session and the tab lock: they need neither.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { ChatStore } from "./client/chat-store.ts";
import { describeError, needsSetup, resumeSession, signOut } from "./client/session.ts";
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

type Phase = "loading" | "setup" | "signin" | "elsewhere" | "taking-over";

export function App() {
  const route = useRoute();
  const [chat, setChat] = useState<ChatStore>();
  const [phase, setPhase] = useState<Phase>("loading");
  const [notice, setNotice] = useState<string>();
  const booted = useRef(false);
  const chatRef = useRef<ChatStore>(undefined);
  chatRef.current = chat;
  const lock = useRef<DeviceLock>(undefined);

  const toSignedOut = useCallback(async (message?: string) => {
    setNotice(message);
    setPhase((await needsSetup().catch(() => false)) ? "setup" : "signin");
  }, []);

  const resume = useCallback(() => {
    resumeSession().then(
      (c) => (c ? setChat(c) : toSignedOut()),
      (err: unknown) => toSignedOut(describeError(err)),
    );
  }, [toSignedOut]);

  useEffect(() => {
    if (booted.current) return;
    booted.current = true;
    // Another tab took over: stop this tab's client (gracefully, but not for long) before it starts there.
    lock.current = new DeviceLock(async () => {
      const c = chatRef.current;
      setChat(undefined);
      setPhase("elsewhere");
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
    (c: ChatStore) => {
      setNotice(undefined);
      setChat(c);
      if (SIGNED_OUT_ROUTES.has(route.name)) navigate("/", true);
    },
    [route.name],
  );

  const onSignedOut = useCallback(
    async (reason?: string) => {
      const c = chat;
      setChat(undefined);
      await signOut(c);
      navigate("/", true);
      await toSignedOut(reason);
    },
    [chat, toSignedOut],
  );

  if (route.name === "reset-password") return <ResetPasswordScreen />;
  if (route.name === "verify-email") return <VerifyEmailScreen signedIn={!!chat} />;
  if (phase === "elsewhere" || phase === "taking-over") return <InUseScreen onTakeOver={() => void takeOver()} busy={phase === "taking-over"} />;
  if (chat) return <Shell chat={chat} onSignOut={onSignedOut} />;
  if (phase === "loading")
    return (
      <div className="splash" role="status">
        Loading Parley…
      </div>
    );
  if (route.name === "invite") return <InviteScreen token={route.token} onSignedIn={onSignedIn} />;
  if (route.name === "forgot-password") return <ForgotPasswordScreen org={route.org} login={route.login} />;
  if (phase === "setup" && route.name !== "sign-in") return <SetupScreen onSignedIn={onSignedIn} onHaveAccount={() => setPhase("signin")} />;
  if (route.name === "sign-in") return <SignInScreen notice={notice} org={route.org} username={route.username} onSignedIn={onSignedIn} />;
  return <SignInScreen notice={notice} onSignedIn={onSignedIn} />;
}
