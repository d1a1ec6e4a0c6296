/** A channel's members with their roles: admins change roles, admins and moderators remove people. */
import "./members-panel.css";
import { useCallback, useEffect, useState } from "react";
import type { ChannelMember, ChannelRole, MyChannel } from "@parley/protocol";
import { useChat } from "../../client/use-chat.ts";
import { describeError } from "../../client/session.ts";
import { FormError } from "../auth/auth-card.tsx";
import { PresenceDot } from "../presence-dot.tsx";
import { PersonButton } from "../../people/profile-card.tsx";
import { BotBadge } from "../../people/bot-badge.tsx";
import { Modal } from "../dialogs/modal.tsx";
import { CHANNEL_ROLES, channelMembers, mayInvite, mayManageRoles, mayRemove, removeChannelMember, setChannelRole } from "../../chat/channel-roles.ts";

const label = (role: ChannelRole) => CHANNEL_ROLES.find((r) => r.role === role)?.label ?? role;

export function MembersPanel(props: { channel: MyChannel; onClose: () => void; onAddPeople: () => void }) {
  const chat = useChat();
  const c = props.channel;
  const [members, setMembers] = useState<ChannelMember[]>();
  const [error, setError] = useState<string>();
  // Demoting an admin asks first: { userId, role } waiting for "Change role".
  const [confirm, setConfirm] = useState<{ userId: string; role: ChannelRole }>();
  const reload = useCallback(() => channelMembers(chat, c.id).then(setMembers, (err: unknown) => setError(describeError(err))), [chat, c.id]);
  useEffect(() => void reload(), [reload]);
  const act = (fn: () => Promise<void>) => {
    setError(undefined);
    fn().then(reload, (err: unknown) => setError(describeError(err)));
  };
  const choose = (m: ChannelMember, role: ChannelRole) => {
    if (m.role === "admin" && role !== "admin") setConfirm({ userId: m.userId, role });
    else act(() => setChannelRole(chat, c.id, m.userId, role));
  };
  const roles = mayManageRoles(chat, c);
  const sorted = [...(members ?? [])].sort(
    (a, b) =>
      CHANNEL_ROLES.findIndex((r) => r.role === a.role) - CHANNEL_ROLES.findIndex((r) => r.role === b.role) ||
      chat.userName(a.userId).localeCompare(chat.userName(b.userId)),
  );
  return (
    <Modal title="Members" onClose={props.onClose}>
      {members === undefined && !error ? <p className="muted">Loading members…</p> : null}
      <ul className="member-list" aria-label="Channel members">
        {sorted.map((m) => {
          const name = chat.userName(m.userId);
          return (
            <li key={m.userId} className="member-row">
              <span className="member-name">
                <PresenceDot userId={m.userId} />{" "}
                <PersonButton userId={m.userId} onLeave={props.onClose}>
                  {name}
                </PersonButton>
                <BotBadge user={chat.users.get(m.userId)} />
                {m.userId === chat.me.id ? <span className="muted"> (you)</span> : null}
              </span>
              {roles ? (
                <select aria-label={`Channel role of ${name}`} value={m.role} onChange={(e) => choose(m, e.target.value as ChannelRole)}>
                  {CHANNEL_ROLES.map((r) => (
                    <option key={r.role} value={r.role}>
                      {r.label}
                    </option>
                  ))}
                </select>
              ) : (
                <span className="muted member-role">{label(m.role)}</span>
              )}
              {m.userId !== chat.me.id && mayRemove(chat, c, m.role) ? (
                <button type="button" aria-label={`Remove ${name}`} onClick={() => act(() => removeChannelMember(chat, c.id, m.userId))}>
                  Remove
                </button>
              ) : null}
              {confirm?.userId === m.userId ? (
                <div className="confirm" role="alertdialog" aria-label="Demote admin?">
                  {name} will no longer manage this channel.
                  <button
                    type="button"
                    className="danger"
                    onClick={() => {
                      const role = confirm.role;
                      setConfirm(undefined);
                      act(() => setChannelRole(chat, c.id, m.userId, role));
                    }}
                  >
                    Make {label(confirm.role).toLowerCase()}
                  </button>
                  <button type="button" onClick={() => setConfirm(undefined)}>
                    Cancel
                  </button>
                </div>
              ) : null}
            </li>
          );
        })}
      </ul>
      <FormError error={error} />
      {mayInvite(chat, c) ? (
        <button type="button" className="primary" onClick={props.onAddPeople}>
          Add people
        </button>
      ) : null}
    </Modal>
  );
}
