import { Fragment, useState } from "react";
import type { OrgRole, User } from "@parley/protocol";
import { useChat } from "../../client/use-chat.ts";
import { describeError } from "../../client/session.ts";
import { FormError } from "../auth/auth-card.tsx";
import { DeviceTable } from "../device-table.tsx";
import { ResetPasswordDialog } from "../../admin/reset-password-dialog.tsx";
import { SetEmailDialog } from "../../admin/set-email-dialog.tsx";
import { ResetMfaDialog } from "../../admin/reset-mfa-dialog.tsx";
import { UserSessions } from "../../admin/user-sessions.tsx";
import { UserRolesDialog } from "../../admin/user-roles-dialog.tsx";

const ROLES: OrgRole[] = ["owner", "admin", "member", "guest"];

export function UsersTab() {
  const chat = useChat();
  const [error, setError] = useState<string>();
  // The row whose devices or sessions show under it.
  const [open, setOpen] = useState<{ userId: string; view: "devices" | "sessions" }>();
  const [dialog, setDialog] = useState<{ kind: "reset-password" | "reset-mfa" | "set-email" | "roles"; user: User }>();
  const users = [...chat.users.values()].sort((a, b) => Number(a.deactivated) - Number(b.deactivated) || a.displayName.localeCompare(b.displayName));
  const toggle = (userId: string, view: "devices" | "sessions") => setOpen(open?.userId === userId && open.view === view ? undefined : { userId, view });
  const run = (p: Promise<unknown>) => p.then(() => chat.refreshUsers()).catch((err: unknown) => setError(describeError(err)));
  const act = (u: User, what: "deactivate" | "reactivate") =>
    run(chat.client.api.call(what === "deactivate" ? "deactivateUser" : "reactivateUser", { params: { id: u.id } }));
  return (
    <>
      <FormError error={error} />
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Username</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <Fragment key={u.id}>
              <tr className={u.deactivated ? "inactive" : ""}>
                <td>
                  {u.displayName}
                  {u.id === chat.me.id ? " (you)" : ""}
                </td>
                <td>@{u.username}</td>
                <td>{u.email ?? <span className="muted">none</span>}</td>
                <td>
                  <select
                    aria-label={`Role of ${u.username}`}
                    value={u.role}
                    disabled={u.id === chat.me.id}
                    onChange={(e) => void run(chat.client.api.call("setUserRole", { params: { id: u.id }, body: { role: e.target.value as OrgRole } }))}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{u.deactivated ? "Deactivated" : "Active"}</td>
                <td className="row-actions">
                  <button
                    type="button"
                    aria-expanded={open?.userId === u.id && open.view === "devices"}
                    aria-label={`Devices of ${u.username}`}
                    onClick={() => toggle(u.id, "devices")}
                  >
                    Devices
                  </button>
                  <button
                    type="button"
                    aria-expanded={open?.userId === u.id && open.view === "sessions"}
                    aria-label={`Sessions of ${u.username}`}
                    onClick={() => toggle(u.id, "sessions")}
                  >
                    Sessions
                  </button>
                  <button type="button" onClick={() => setDialog({ kind: "roles", user: u })} aria-label={`Custom roles of ${u.username}`}>
                    Roles
                  </button>
                  <button type="button" onClick={() => setDialog({ kind: "set-email", user: u })} aria-label={`Set email of ${u.username}`}>
                    Set email
                  </button>
                  {/* Your own password and second factor change on your profile, with the current password. */}
                  {u.id === chat.me.id ? null : (
                    <>
                      <button type="button" onClick={() => setDialog({ kind: "reset-password", user: u })} aria-label={`Reset password of ${u.username}`}>
                        Reset password
                      </button>
                      <button
                        type="button"
                        onClick={() => setDialog({ kind: "reset-mfa", user: u })}
                        aria-label={`Reset two-factor authentication of ${u.username}`}
                      >
                        Reset 2FA
                      </button>
                    </>
                  )}
                  {u.id === chat.me.id ? null : u.deactivated ? (
                    <button type="button" onClick={() => void act(u, "reactivate")} aria-label={`Reactivate ${u.username}`}>
                      Reactivate
                    </button>
                  ) : (
                    <button type="button" className="danger" onClick={() => void act(u, "deactivate")} aria-label={`Deactivate ${u.username}`}>
                      Deactivate
                    </button>
                  )}
                </td>
              </tr>
              {open?.userId === u.id ? (
                <tr>
                  <td colSpan={6}>{open.view === "devices" ? <DeviceTable userId={u.id} admin /> : <UserSessions user={u} />}</td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
      {dialog?.kind === "reset-password" ? <ResetPasswordDialog user={dialog.user} onClose={() => setDialog(undefined)} /> : null}
      {dialog?.kind === "roles" ? <UserRolesDialog user={dialog.user} onClose={() => setDialog(undefined)} /> : null}
      {dialog?.kind === "reset-mfa" ? <ResetMfaDialog user={dialog.user} onClose={() => setDialog(undefined)} /> : null}
      {dialog?.kind === "set-email" ? (
        <SetEmailDialog
          user={dialog.user}
          onClose={() => setDialog(undefined)}
          onSaved={() => void chat.refreshUsers().catch((err: unknown) => setError(describeError(err)))}
        />
      ) : null}
    </>
  );
}
