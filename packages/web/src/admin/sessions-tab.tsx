/**
 * Admin console → Sessions: the org's session policy (session-policy-section.tsx) and any
 * user's active sessions, picked from the list of people (user-sessions.tsx; the Users tab
 * opens the same view from a user's row).
 */
import { useId, useState } from "react";
import { useChat } from "../client/use-chat.ts";
import { SessionPolicySection } from "./session-policy-section.tsx";
import { UserSessions } from "./user-sessions.tsx";
import "./identity-admin.css";

export function SessionsTab(props: { userId?: string }) {
  const chat = useChat();
  const [userId, setUserId] = useState(props.userId ?? "");
  const pickId = useId();
  const users = [...chat.users.values()].filter((u) => !u.deactivated).sort((a, b) => a.displayName.localeCompare(b.displayName));
  const user = userId ? chat.users.get(userId) : undefined;
  return (
    <div className="settings-form identity-admin">
      <SessionPolicySection />
      <h2>A user's sessions</h2>
      <p className="note">Each sign-in on a browser, app or API key is a session. End the ones of a lost laptop, or sign someone out everywhere.</p>
      <div className="field">
        <label htmlFor={pickId}>User</label>
        <select id={pickId} value={userId} onChange={(e) => setUserId(e.target.value)}>
          <option value="">Choose a user…</option>
          {users.map((u) => (
            <option key={u.id} value={u.id}>
              {u.displayName} (@{u.username})
            </option>
          ))}
        </select>
      </div>
      {user ? <UserSessions key={user.id} user={user} /> : null}
    </div>
  );
}
