/**
 * A repair at start for SAML providers created before the SP certificate's serial number was
 * always minimal DER: one in 256 of them stored a certificate OpenSSL refuses ("illegal padding"),
 * so an IdP could not import the SP metadata. Such a certificate is issued again for the same
 * key pair — entity ID, ACS URL and key unchanged — and audited
 * `org.sso.provider.sp_certificate_reissued`. Nodes starting together may both do it; the
 * update only applies over the certificate it read, so one wins and one entry is written.
 */
import crypto from "node:crypto";
import type { Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { actorRef, systemActor } from "../../core/actor.ts";
import { selfSignedCertificate } from "./saml-cert.ts";
import { samlKeyContext, samlUrls } from "./settings.ts";

function parses(pem: string): boolean {
  try {
    new crypto.X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/** Re-issues every SAML SP certificate that does not parse; returns how many were. Never throws: the start goes on. */
export async function reissueUnreadableSpCertificates(deps: Deps): Promise<number> {
  let rows: Array<{ id: string; org_id: string; sp_private_key?: string | null; sp_certificate?: string | null }>;
  try {
    rows = await deps.db.selectFrom("sso_providers").select(["id", "org_id", "sp_private_key", "sp_certificate"]).where("kind", "=", "saml").execute();
  } catch (err) {
    deps.log.error({ module: "sso", err }, "could not read the SAML providers to check their SP certificates");
    return 0;
  }
  let reissued = 0;
  for (const row of rows) {
    const { sp_private_key: sealedKey, sp_certificate: old } = row;
    if (!sealedKey || !old || parses(old)) continue;
    const log = { module: "sso", orgId: row.org_id, providerId: row.id };
    try {
      const privateKey = new TextDecoder().decode(await deps.kms.open(sealedKey, samlKeyContext(row.id), { orgId: row.org_id }));
      const certificate = selfSignedCertificate(privateKey, `Parley SP ${samlUrls(deps, row.id).spEntityId}`);
      const actor = systemActor(row.org_id, "server");
      let applied = false;
      await runCommand(deps, actor, "sso.reissueSpCertificate", async (tx, fx) => {
        const res = await tx
          .updateTable("sso_providers")
          .set({ sp_certificate: certificate, updated_by: actorRef(actor), updated_at: deps.now() })
          .where("id", "=", row.id)
          .where("sp_certificate", "=", old)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) return; // another node did it first
        fx.audit({
          action: "org.sso.provider.sp_certificate_reissued",
          target: { kind: "sso_provider", id: row.id },
          result: "success",
          details: { reason: "unreadable_certificate", serialNumber: new crypto.X509Certificate(certificate).serialNumber },
        });
        applied = true;
      });
      if (!applied) continue;
      reissued++;
      deps.log.warn(log, "the SAML provider's SP certificate did not parse; issued again for the same key: import the SP metadata at the IdP again");
    } catch (err) {
      deps.log.error({ ...log, err }, "the SAML provider's SP certificate does not parse and could not be issued again; re-create the provider");
    }
  }
  return reissued;
}
