/**
 * SAML 2.0 single sign-on (issue 10), end to end against a real IdP (samlify, started by the
 * test): the provider made from the IdP's metadata, the SP metadata, a first sign-in with JIT
 * provisioning and the group mappings, every forged or replayed response refused (audited,
 * nothing written), IdP-initiated and SP-initiated single logout, and another org's provider.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, makeOrg, type TestUser } from "../../testing/factories.ts";
import { CookieJar } from "../../testing/oidc-idp.ts";
import { postToAcs, samlSignIn, startSamlIdp, type Craft, type SamlAccount, type TestSamlIdp } from "../../testing/saml-idp.ts";

for (const dialect of DIALECTS) {
  describe(`SAML single sign-on (${dialect})`, () => {
    let s: TestServer;
    let idp: TestSamlIdp;
    let owner: TestUser;
    let globex: TestUser;
    let providerId: string;
    let provider: { spEntityId: string; acsUrl: string; sloUrl: string; metadataUrl: string };
    let engineering: string;
    const alice: SamlAccount = {
      username: "alice",
      password: "alice-pw",
      nameId: "alice-persistent-0001",
      attributes: { username: "Alice.Liddell", email: "alice@example.org", displayName: "Alice Liddell", groups: ["engineering", "parley-admins"] },
    };
    const mallory: SamlAccount = {
      username: "mallory",
      password: "mallory-pw",
      nameId: "mallory-0666",
      attributes: { username: "mallory", email: "mallory@example.org", displayName: "Mallory", groups: ["parley-admins"] },
    };

    before(async () => {
      s = await startTestServer({ dialect, config: { loginAttempts: 1000 } });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      globex = await makeOrg(s, "globex");
      idp = await startSamlIdp({ accounts: [alice, mallory] });
      engineering = (await owner.api("POST", "/channels", { kind: "private", name: "engineering" })).body.id;
      const created = await owner.api("POST", "/sso/providers", {
        kind: "saml",
        name: "Test SAML",
        idpMetadataXml: idp.metadataXml,
        roleMapping: [{ group: "parley-admins", role: "admin" }],
        channelMapping: [{ group: "engineering", channelId: engineering }],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      providerId = created.body.id;
      provider = created.body;
      assert.equal(created.body.idpEntityId, idp.entityId);
      assert.equal(created.body.idpSsoUrl, `${idp.url}/sso`);
      assert.equal(created.body.idpSloUrl, `${idp.url}/slo`);
      idp.registerSp(await (await fetch(provider.metadataUrl)).text());
    });
    after(async () => {
      await idp?.stop();
      await s?.stop();
    });

    const audit = (action: string) => s.deps.db.selectFrom("audit_log").selectAll().where("action", "=", action).orderBy("seq").execute();
    const userCount = async () =>
      Number(
        (
          await s.deps.db
            .selectFrom("users")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const codeCount = async () =>
      Number(
        (
          await s.deps.db
            .selectFrom("sso_codes")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it("publishes SP metadata with the entity ID, the ACS, the SLO and the signing certificate; none for other ids", async () => {
      const res = await fetch(provider.metadataUrl);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /samlmetadata\+xml/);
      const xml = await res.text();
      assert.ok(xml.includes(`entityID="${provider.spEntityId}"`));
      assert.ok(xml.includes(`Location="${provider.acsUrl}"`));
      assert.ok(xml.includes(`Location="${provider.sloUrl}"`));
      assert.ok(xml.includes('AuthnRequestsSigned="true"') && xml.includes('WantAssertionsSigned="true"'));
      assert.ok(xml.includes("X509Certificate"));
      assert.equal((await fetch(`${s.url}/auth/sso/idp_nope/saml/metadata`)).status, 404);
      const listed = await owner.api("GET", "/sso/providers");
      assert.equal(JSON.stringify(listed.body).includes("PRIVATE KEY"), false, "the SP key never leaves the server");
    });

    it("a first sign-in creates the account (JIT) with the mapped role and channel; the session remembers the NameID", async () => {
      const out = await samlSignIn(s, providerId, alice, { deviceName: "Alice's laptop" });
      assert.equal(out.complete?.status, 200, JSON.stringify(out.complete?.body ?? out.landing));
      const userId = out.complete!.body.user.id as string;
      const user = await s.deps.db.selectFrom("users").selectAll().where("id", "=", userId).executeTakeFirstOrThrow();
      assert.equal(user.username, "alice.liddell");
      assert.equal(user.display_name, "Alice Liddell");
      assert.equal(user.role, "admin");
      assert.equal(user.email, "alice@example.org");
      const member = await s.deps.db
        .selectFrom("channel_members")
        .select("user_id")
        .where("channel_id", "=", engineering)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      assert.ok(member, "mapped into #engineering");
      const session = await s.deps.db.selectFrom("sessions").selectAll().where("user_id", "=", userId).executeTakeFirstOrThrow();
      assert.equal(session.sso_provider_id, providerId);
      assert.equal(session.sso_name_id, alice.nameId);
      assert.ok(session.sso_sid?.startsWith("s-alice-"));
      const created = (await audit("user.created")).at(-1)!;
      assert.equal(JSON.parse(created.details as string).via, "saml");
      // The second sign-in reuses the link.
      const again = await samlSignIn(s, providerId, alice);
      assert.equal(again.complete?.body.user.id, userId);
    });

    const attacks: Array<{ name: string; craft: (req: { id: string }) => Craft; check: string }> = [
      { name: "tampered after signing", craft: () => ({ tamper: (x) => x.replace("parley-admins", "parley-owners") }), check: "signature" },
      { name: "signed by another key", craft: () => ({ otherKey: true }), check: "signature" },
      { name: "expired", craft: () => ({ notBefore: new Date(Date.now() - 3_600_000), notOnOrAfter: new Date(Date.now() - 600_000) }), check: "expired" },
      {
        name: "not yet valid",
        craft: () => ({ notBefore: new Date(Date.now() + 600_000), notOnOrAfter: new Date(Date.now() + 3_600_000) }),
        check: "not_yet_valid",
      },
      { name: "for another audience", craft: () => ({ audience: "https://other-sp.example/metadata" }), check: "audience" },
      { name: "for another request", craft: () => ({ inResponseTo: "_not-our-request" }), check: "in_response_to" },
      { name: "from another issuer", craft: () => ({ issuer: "https://evil.example/idp" }), check: "issuer" },
      { name: "for another recipient", craft: () => ({ recipient: "https://evil.example/acs" }), check: "recipient" },
      { name: "for another destination", craft: () => ({ destination: "https://evil.example/acs" }), check: "destination" },
    ];
    for (const a of attacks) {
      it(`a response ${a.name} is refused (check ${a.check}), audited, nothing written`, async () => {
        const [users, codes] = [await userCount(), await codeCount()];
        const failedBefore = (await audit("auth.login.failed")).length;
        const out = await samlSignIn(s, providerId, mallory, { idp, replaceResponse: (_orig, req) => idp.response(req, mallory, a.craft(req)) });
        assert.equal(out.fragment.get("error"), "sso_failed", out.landing);
        assert.equal(out.fragment.get("reason"), "token_invalid");
        const failed = await audit("auth.login.failed");
        assert.equal(failed.length, failedBefore + 1);
        assert.deepEqual(JSON.parse(failed.at(-1)!.details as string), { reason: "token_invalid", via: "saml", providerId, check: a.check });
        assert.equal(await userCount(), users, "no account made");
        assert.equal(await codeCount(), codes, "no code issued");
      });
    }

    it("an unsolicited (IdP-initiated) response is refused", async () => {
      const users = await userCount();
      const req = { id: "_none", relayState: "", acsUrl: provider.acsUrl };
      const out = await postToAcs(s, new CookieJar(), provider.acsUrl, idp.response(req, mallory, { inResponseTo: null }), "");
      assert.equal(out.fragment.get("reason"), "state_invalid");
      assert.equal(JSON.parse((await audit("auth.login.failed")).at(-1)!.details as string).check, "unsolicited");
      assert.equal(await userCount(), users);
    });

    it("a captured response replayed is refused, and so is a new response reusing an assertion ID", async () => {
      const first = await samlSignIn(s, providerId, alice, { complete: false });
      assert.ok(first.fragment.get("code"));
      const replay = await postToAcs(s, new CookieJar(), provider.acsUrl, first.samlResponse, first.relayState);
      assert.equal(replay.fragment.get("error"), "sso_failed");
      assert.equal(JSON.parse((await audit("auth.login.failed")).at(-1)!.details as string).check, "replayed");
      // Same assertion ID, fresh request: refused by the replay table.
      const assertionId = /<saml:Assertion[^>]*\sID="([^"]+)"/.exec(Buffer.from(first.samlResponse, "base64").toString())![1]!;
      const second = await samlSignIn(s, providerId, alice, { idp, replaceResponse: (_o, req) => idp.response(req, alice, { assertionId }) });
      assert.equal(second.fragment.get("error"), "sso_failed", second.landing);
      assert.equal(JSON.parse((await audit("auth.login.failed")).at(-1)!.details as string).check, "assertion_replayed");
    });

    it("the code only completes in the browser that started the sign-in", async () => {
      const out = await samlSignIn(s, providerId, alice, { complete: false });
      const stolen = await call(s, "POST", "/auth/sso/complete", { code: out.fragment.get("code") });
      assert.equal(stolen.body.code, "sso_failed");
      assert.equal(stolen.body.details.reason, "code_invalid");
      assert.equal(JSON.parse((await audit("auth.login.failed")).at(-1)!.details as string).check, "browser_mismatch");
    });

    it("IdP-initiated logout ends the NameID's session and answers with a LogoutResponse; forged and replayed requests are refused", async () => {
      const out = await samlSignIn(s, providerId, alice);
      const token = out.complete!.body.accessToken as string;
      const session = await s.deps.db
        .selectFrom("sessions")
        .selectAll()
        .where("sso_name_id", "=", alice.nameId)
        .where("revoked_at", "is", null)
        .orderBy("created_at", "desc")
        .executeTakeFirstOrThrow();
      const post = (req: string) =>
        fetch(provider.sloUrl, {
          method: "POST",
          redirect: "manual",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ SAMLRequest: req }).toString(),
        });
      const forged = await post(idp.logoutRequest(provider, alice.nameId, session.sso_sid ?? null, { otherKey: true }));
      assert.equal(forged.status, 400);
      assert.equal(JSON.parse((await audit("auth.sso.logout.refused")).at(-1)!.details as string).reason, "token_invalid");
      assert.equal((await call(s, "GET", "/auth/sso/logout-url", undefined, { authorization: `Bearer ${token}` })).status, 200, "still signed in");
      const request = idp.logoutRequest(provider, alice.nameId, session.sso_sid ?? null);
      const ok = await post(request);
      assert.equal(ok.status, 302);
      const back = new URL(ok.headers.get("location")!);
      assert.equal(back.origin + back.pathname, `${idp.url}/slo`);
      assert.ok(back.searchParams.get("SAMLResponse") && back.searchParams.get("Signature"));
      const ended = await s.deps.db.selectFrom("sessions").select("revoked_at").where("id", "=", session.id).executeTakeFirstOrThrow();
      assert.notEqual(ended.revoked_at, null);
      assert.equal((await call(s, "GET", "/auth/sso/logout-url", undefined, { authorization: `Bearer ${token}` })).status, 401);
      assert.equal(JSON.parse((await audit("auth.sso.logout")).at(-1)!.details as string).via, "saml");
      assert.equal((await post(request)).status, 400, "a replayed LogoutRequest is refused");
      assert.equal(JSON.parse((await audit("auth.sso.logout.refused")).at(-1)!.details as string).reason, "replayed");
    });

    it("SP-initiated logout: the logout URL carries a signed LogoutRequest for the session's NameID and SessionIndex", async () => {
      const jar = new CookieJar();
      const out = await samlSignIn(s, providerId, alice, { jar });
      const token = out.complete!.body.accessToken as string;
      const r = await call(s, "GET", "/auth/sso/logout-url", undefined, { authorization: `Bearer ${token}` });
      assert.equal(r.status, 200);
      assert.ok(r.body.url.startsWith(`${idp.url}/slo?SAMLRequest=`), r.body.url);
      const atIdp = await jar.fetch(r.body.url);
      const page = await atIdp.text();
      assert.equal(atIdp.status, 200, page);
      const last = idp.logoutRequests.at(-1)!;
      assert.equal(last.nameId, alice.nameId);
      assert.ok(last.sessionIndex?.startsWith("s-alice-"));
      // The IdP posts its LogoutResponse back; Parley sends the browser home.
      const response = /name="SAMLResponse" value="([^"]+)"/.exec(page)![1]!;
      const home = await fetch(provider.sloUrl, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ SAMLResponse: response }).toString(),
      });
      assert.equal(home.status, 302);
      assert.equal(home.headers.get("location"), `${s.url}/`);
    });

    it("another org's provider cannot sign into this org, nor can its admins see or change this one", async () => {
      const other = await globex.api("POST", "/sso/providers", { kind: "saml", name: "Globex SAML", idpMetadataXml: idp.metadataXml });
      assert.equal(other.status, 201, JSON.stringify(other.body));
      // A sign-in started at acme's provider, its response posted to globex's ACS.
      const users = await userCount();
      const out = await samlSignIn(s, providerId, mallory, {
        complete: false,
        idp,
        replaceResponse: (_o, req) =>
          idp.response(req, mallory, { audience: other.body.spEntityId, recipient: other.body.acsUrl, destination: other.body.acsUrl }),
      });
      assert.equal(out.fragment.get("error"), "sso_failed");
      const crossed = await postToAcs(s, new CookieJar(), other.body.acsUrl, out.samlResponse, out.relayState);
      assert.equal(crossed.fragment.get("reason"), "state_invalid");
      assert.equal(await userCount(), users);
      assert.equal((await globex.api("PATCH", `/sso/providers/${providerId}`, { kind: "saml", name: "pwned" })).status, 404);
      assert.equal((await globex.api("POST", `/sso/providers/${providerId}/test`)).status, 404);
      assert.equal((await owner.api("GET", "/sso/providers")).body.providers.length, 1);
    });

    it("admin validation: bad and expired certificates, bad URLs, unreadable metadata; nothing written", async () => {
      const before = await s.deps.db.selectFrom("sso_providers").select("id").execute();
      const base = {
        kind: "saml",
        name: "Broken",
        idpEntityId: "https://idp.example/e",
        idpSsoUrl: "https://idp.example/sso",
        idpCertificates: [idp.certificate],
      };
      const { makeSigningKeyPair } = await import("./saml-cert.ts");
      const expired = makeSigningKeyPair("old", { notBefore: Date.now() - 2 * 86_400_000, notAfter: Date.now() - 86_400_000 }).certificate;
      const cases: Array<[unknown, string]> = [
        [{ ...base, idpCertificates: ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"] }, "idpCertificates.0"],
        [{ ...base, idpCertificates: ["not a pem"] }, "idpCertificates.0"],
        [{ ...base, idpCertificates: [expired] }, "idpCertificates.0"],
        [{ ...base, idpSsoUrl: "ftp://idp.example/sso" }, "idpSsoUrl"],
        [{ ...base, idpSsoUrl: "http://idp.example/sso" }, "idpSsoUrl"],
        [{ ...base, idpCertificates: [] }, "idpCertificates"],
        [{ kind: "saml", name: "X", idpMetadataXml: "<html>nope</html>" }, "idpMetadataXml"],
        [
          { kind: "saml", name: "X", idpMetadataXml: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><EntityDescriptor entityID="x"/>' },
          "idpMetadataXml",
        ],
        [{ kind: "saml", name: "X", idpMetadataXml: '<EntityDescriptor entityID="&#x110000;"/>' }, "idpMetadataXml"],
        [{ kind: "saml", name: "X" }, "idpEntityId"],
      ];
      for (const [body, path] of cases) {
        const r = await owner.api("POST", "/sso/providers", body);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.code, "validation_failed");
        assert.ok(
          r.body.details.issues.some((i: { path: unknown[] }) => i.path.join(".") === path),
          `${path}: ${JSON.stringify(r.body.details.issues)}`,
        );
      }
      const kindChange = await owner.api("PATCH", `/sso/providers/${providerId}`, { name: "now OIDC" });
      assert.equal(kindChange.status, 400);
      assert.deepEqual(await s.deps.db.selectFrom("sso_providers").select("id").execute(), before);
      const renamed = await owner.api("PATCH", `/sso/providers/${providerId}`, { kind: "saml", name: "Test SAML", attributes: { email: "mail" } });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.equal(renamed.body.attributes.email, "mail");
      assert.equal(renamed.body.attributes.groups, "groups");
      await owner.api("PATCH", `/sso/providers/${providerId}`, { kind: "saml", attributes: { email: "email" } });
    });

    it("the provider test checks the certificates and the SSO URL", async () => {
      const ok = await owner.api("POST", `/sso/providers/${providerId}/test`);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.ok, true, JSON.stringify(ok.body));
      assert.equal(ok.body.stage, "done");
      const down = await owner.api("POST", "/sso/providers", {
        kind: "saml",
        name: "Down",
        enabled: false,
        idpEntityId: "e",
        idpSsoUrl: "http://127.0.0.1:9/sso",
        idpCertificates: [idp.certificate],
      });
      assert.equal(down.status, 201, JSON.stringify(down.body));
      const t = await owner.api("POST", `/sso/providers/${down.body.id}/test`);
      assert.deepEqual([t.body.ok, t.body.stage], [false, "sso_url"]);
      assert.equal((await owner.api("DELETE", `/sso/providers/${down.body.id}`)).status, 204);
    });
  });
}
