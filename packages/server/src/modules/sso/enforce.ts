/**
 * "Only single sign-on": when one of the org's enabled providers has `enforce` on, a right
 * Parley password no longer signs anyone in (login.ts asks here after the password checked
 * out, so the answer is no oracle for it). The break glass: while such a provider's IdP
 * cannot be reached and it has `localAdminsWhenDown` on, owners and admins still sign in
 * with their Parley password — recorded as `auth.login.break_glass`. Everyone else gets
 * `sso_required`, naming the providers to use.
 */
import type { Deps } from "../../context.ts";
import type { UsersTable } from "../../platform/db/tables.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { discover, IdpUnavailable } from "./oidc.ts";
import { reachable } from "./saml.ts";
import { providerOf, type Provider } from "./settings.ts";
import { listProviderRows } from "./store.ts";

/** Throws `sso_required` when the org signs in through single sign-on only and this password sign-in is no break glass. */
export async function checkPasswordSignIn(deps: Deps, ip: string, org: { id: string }, user: UsersTable): Promise<void> {
  const providers = (await listProviderRows(deps.db, org.id)).map((r) => providerOf(deps, r)).filter((p): p is Provider => p !== undefined && p.enabled);
  const enforcing = providers.filter((p) => p.settings.enforce);
  if (!enforcing.length) return;
  const audit = (action: string, result: "success" | "failure", details: Record<string, string>) =>
    runCommand(deps, null, "sso.passwordSignIn", async (_tx, fx) =>
      fx.audit({
        orgId: org.id,
        actor: { kind: "device", id: user.id, deviceId: null },
        action,
        target: { kind: "user", id: user.id },
        result,
        details,
        pii: { subject: user.id, data: { ip } },
      }),
    );
  if (user.role === "owner" || user.role === "admin") {
    for (const p of enforcing.filter((e) => e.settings.localAdminsWhenDown)) {
      try {
        // An IdP is down when its discovery (OIDC) or its SSO URL (SAML) does not answer.
        if (p.kind === "oidc") await discover(deps, p, { timeoutSeconds: 5 });
        else await reachable(p.settings.idpSsoUrl, 5_000);
      } catch (err) {
        if (!(err instanceof IdpUnavailable)) continue;
        deps.log.warn({ module: "sso", orgId: org.id, providerId: p.id, stage: err.stage }, "IdP unreachable: an owner or admin signs in with a password");
        await audit("auth.login.break_glass", "success", { via: "password", providerId: p.id, stage: err.stage });
        return;
      }
    }
  }
  await audit("auth.login.failed", "failure", { reason: "sso_required", via: "password" });
  throw new AppError("sso_required", `${enforcing.map((p) => p.name).join(" or ")}: your organisation signs in with single sign-on only`, {
    providers: providers.map((p) => ({ id: p.id, name: p.name })),
  });
}
