/**
 * The repair at start for SP certificates made before their serial numbers were always minimal
 * DER: a stored certificate OpenSSL refuses is issued again for the same key on the next start,
 * once, audited; a readable one is left alone.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { DIALECTS, createTestDatabase, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call } from "../../testing/factories.ts";
import { startSamlIdp } from "../../testing/saml-idp.ts";
import { pem } from "./saml-cert.ts";
import { providerOf } from "./settings.ts";

/** The certificate with its serial's first two bytes set to 00 05: the padding the old code made one time in 256. */
function illegallyPadded(certificate: string): string {
  const der = Buffer.from(certificate.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
  // version [0] v3, then the serial: INTEGER of 16 bytes.
  const at = der.indexOf(Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x10])) + 7;
  assert.ok(at > 7, "the serial is where the SP certificate puts it");
  der[at] = 0x00;
  der[at + 1] = 0x05;
  return pem("CERTIFICATE", der);
}

const spki = (key: crypto.KeyObject) => key.export({ type: "spki", format: "der" });

for (const dialect of DIALECTS) {
  describe(`SAML SP certificate repair (${dialect})`, () => {
    it("an unreadable SP certificate is issued again for the same key at the next start, once; a readable one is not touched", async () => {
      const database = await createTestDatabase(dialect);
      const idp = await startSamlIdp({ accounts: [] });
      let s: TestServer | undefined = await startTestServer({ database });
      try {
        const owner = await bootstrapOrg(s);
        const create = async (name: string) => {
          const res = await owner.api("POST", "/sso/providers", { kind: "saml", name, idpMetadataXml: idp.metadataXml });
          assert.equal(res.status, 201, JSON.stringify(res.body));
          return res.body as { id: string; spEntityId: string; acsUrl: string; metadataUrl: string; spCertificate: string };
        };
        const broken = await create("Broken SP cert");
        const fine = await create("Fine SP cert");
        const bad = illegallyPadded(broken.spCertificate);
        assert.throws(() => new crypto.X509Certificate(bad), /illegal padding/);
        await s.deps.db.updateTable("sso_providers").set({ sp_certificate: bad }).where("id", "=", broken.id).execute();
        await s.stop();
        s = undefined;

        s = await startTestServer({ database });
        const rows = await s.deps.db.selectFrom("sso_providers").selectAll().orderBy("name").execute();
        const [brokenRow, fineRow] = rows;
        assert.equal(brokenRow!.id, broken.id);
        assert.equal(fineRow!.sp_certificate, fine.spCertificate, "a readable certificate is left alone");
        const cert = new crypto.X509Certificate(brokenRow!.sp_certificate!);
        const provider = providerOf(s.deps, brokenRow!);
        assert.ok(provider?.kind === "saml");
        const privateKey = crypto.createPrivateKey(await provider.spPrivateKey());
        assert.ok(spki(cert.publicKey).equals(spki(crypto.createPublicKey(privateKey))), "the new certificate is for the same key");
        assert.ok(Date.parse(cert.validFrom) <= Date.now() && Date.parse(cert.validTo) > Date.now() + 9 * 365 * 86_400_000);
        // The admin's view and the SP metadata the IdP imports carry it; the SP's URLs are the same.
        const listed = await call(s, "GET", "/sso/providers", undefined, { authorization: `Bearer ${owner.accessToken}` });
        const view = listed.body.providers.find((p: { id: string }) => p.id === broken.id);
        assert.equal(view.spCertificate, brokenRow!.sp_certificate);
        // (Each test server listens on a new port: the paths are what stays.)
        const path = (url: string) => new URL(url).pathname;
        assert.deepEqual([path(view.spEntityId), path(view.acsUrl)], [path(broken.spEntityId), path(broken.acsUrl)]);
        const metadata = await (await fetch(s.url + path(broken.metadataUrl))).text();
        assert.ok(metadata.replace(/\s/g, "").includes(cert.raw.toString("base64")), `the SP metadata carries the new certificate: ${metadata.slice(0, 300)}`);
        const audit = await s.deps.db.selectFrom("audit_log").selectAll().where("action", "=", "org.sso.provider.sp_certificate_reissued").execute();
        assert.equal(audit.length, 1);
        assert.equal(audit[0]!.target_id, broken.id);
        assert.equal(JSON.parse(audit[0]!.details as string).serialNumber, cert.serialNumber);
        assert.ok(s.logs.some((l) => l.includes(broken.id) && l.includes("issued again for the same key")));

        // Another start finds nothing to do.
        await s.stop();
        s = await startTestServer({ database });
        const again = await s.deps.db.selectFrom("sso_providers").select(["id", "sp_certificate"]).where("id", "=", broken.id).executeTakeFirstOrThrow();
        assert.equal(again.sp_certificate, brokenRow!.sp_certificate);
        const entries = await s.deps.db.selectFrom("audit_log").select("seq").where("action", "=", "org.sso.provider.sp_certificate_reissued").execute();
        assert.equal(entries.length, 1);
      } finally {
        await s?.stop();
        await idp.stop();
        await database.drop();
      }
    });
  });
}
