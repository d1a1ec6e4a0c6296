/** Changing one's own password: the current one is required; other sessions end on request. */
import type { Deps, DeviceActor } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { hashPassword } from "./passwords.ts";
import { checkPassword, passwordPolicyOf } from "./password-policy.ts";
import { reauthenticate } from "./reauth.ts";
import { revokeSessions } from "./sessions.ts";
import { listActiveSessions } from "./store.ts";
import { mails, queueMail } from "./mail.ts";
import { supersedeAccountTokens } from "./account-tokens.ts";
import { isDirectoryAccount } from "../ldap/sign-in.ts";
import { badRequest } from "../../core/errors.ts";

export async function changePassword(
  deps: Deps,
  p: DeviceActor,
  ip: string,
  input: { currentPassword: string; newPassword: string; signOutOtherSessions: boolean },
): Promise<void> {
  if (await isDirectoryAccount(deps, { id: p.userId, org_id: p.orgId })) {
    throw badRequest("your password is your organisation's directory (LDAP) password: change it there");
  }
  const { user, org } = await reauthenticate(deps, p, ip, input.currentPassword, "password.change");
  checkPassword(await passwordPolicyOf(deps.db, p.orgId), input.newPassword, { username: user.username, orgSlug: org.slug, orgName: org.name });
  const passwordHash = await hashPassword(input.newPassword);
  await runCommand(deps, p, "accounts.changePassword", async (tx, fx) => {
    const now = deps.now();
    await tx.updateTable("users").set({ password_hash: passwordHash, password_changed_at: now }).where("id", "=", p.userId).execute();
    // A reset link sent before the change must not undo it.
    await supersedeAccountTokens(tx, p.userId, "password_reset", now);
    let ended = 0;
    if (input.signOutOtherSessions) {
      const others = (await listActiveSessions(tx, p.orgId, p.userId, now)).map((s) => s.id).filter((id) => id !== p.sessionId);
      ended = others.length;
      if (others.length) await revokeSessions(tx, fx, deps, { orgId: p.orgId, userId: p.userId, sessionIds: others }, "password_changed");
    }
    fx.audit({
      action: "auth.password.changed",
      target: { kind: "user", id: p.userId },
      result: "success",
      details: { otherSessionsEnded: ended },
      pii: { subject: p.userId, data: { ip } },
    });
    if (user.email) {
      await queueMail(
        deps,
        fx,
        mails.passwordChanged(user.email, { orgName: org.name, username: user.username, at: now, otherSessionsEnded: ended > 0, via: "change" }),
      );
    }
  });
}
