/**
 * The full-screen enrolment an org's MFA policy forces once the user's grace period is over: the
 * server refuses everything else (mfa_enrollment_required) until an authenticator is confirmed,
 * so this replaces the whole app, with only "Sign out" besides. After the recovery codes are
 * saved, `onEnrolled` starts the app normally.
 */
import type { Org, User } from "@parley/protocol";
import type { Api } from "@parley/sdk";
import { AuthCard } from "../components/auth/auth-card.tsx";
import { EnrolFlow } from "./enrol-flow.tsx";

export function ForcedEnrolmentScreen(props: {
  api: Pick<Api, "call">;
  me: Pick<User, "username">;
  org: Pick<Org, "name" | "slug">;
  onEnrolled: () => Promise<void>;
  onSignOut: () => void;
}) {
  const { me, org } = props;
  return (
    <AuthCard
      wide
      title="Your organisation requires two-factor authentication"
      subtitle={
        <>
          {org.name} asks for a code from an authenticator app at sign-in, besides your password, so a stolen password alone is not enough. Set it up now to
          continue: until you do, you cannot read or send messages.
        </>
      }
    >
      <EnrolFlow api={props.api} username={me.username} org={org} doneLabel="Continue to Parley" onDone={props.onEnrolled} />
      <p className="muted small enrol-foot">
        Signed in as @{me.username} in {org.name}.{" "}
        <button type="button" className="link" onClick={props.onSignOut}>
          Sign out
        </button>
      </p>
    </AuthCard>
  );
}
