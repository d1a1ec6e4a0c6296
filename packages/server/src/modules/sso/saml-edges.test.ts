/**
 * SAML edge cases beside saml.test.ts, against the same real test IdP: the IdP metadata
 * variants an admin may paste (namespace prefixes, several KeyDescriptors, bindings, character
 * references) and the ones refused; responses the IdP may send (no attributes, groups as one
 * or several values, a subject attribute, NameID formats, a status instead of an assertion, a
 * signed envelope around an unsigned assertion, no expiry); single logout with no matching
 * session, without a SessionIndex, over HTTP-Redirect; and the provider's changes (metadata
 * re-imported, certificates rolled over, disabled, stored settings gone bad, tests of an IdP
 * that is down).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import http from "node:http";
import zlib from "node:zlib";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, makeUser, type TestUser } from "../../testing/factories.ts";
import { CookieJar } from "../../testing/oidc-idp.ts";
import { freePort } from "../../testing/ports.ts";
import { postToAcs, samlSignIn, startSamlIdp, type Craft, type SamlAccount, type SamlOutcome, type TestSamlIdp } from "../../testing/saml-idp.ts";
import { makeSigningKeyPair } from "./saml-cert.ts";

const REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
const MD = 'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"';

/** A certificate's base64 body (what metadata carries). */
const body64 = (pem: string) => pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
const same = (a: string, b: string) => body64(a) === body64(b);

/** A KeyDescriptor with `use` (none when undefined) and the certificate's body as given. */
const key = (use: string | undefined, certBody: string) =>
  `<md:KeyDescriptor${use ? ` use="${use}"` : ""}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;

/** IdP metadata with md:/ds: prefixes. */
function metadata(o: { entityId: string; keys: string[]; services: string[] }): string {
  return `<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor ${MD} entityID="${o.entityId}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${o.keys.join("")}${o.services.join("")}</md:IDPSSODescriptor></md:EntityDescriptor>`;
}
const sso = (binding: string, location: string) => `<md:SingleSignOnService Binding="${binding}" Location="${location}"/>`;
const slo = (binding: string, location: string) => `<md:SingleLogoutService Binding="${binding}" Location="${location}"/>`;

/** A self-signed certificate of an Ed25519 key (valid 2020–2049): a key SAML signatures here are not made with. */
function ed25519Certificate(): string {
  const der = (tag: number, ...c: Buffer[]) => {
    const b = Buffer.concat(c);
    return Buffer.concat([Buffer.from([tag, ...(b.length < 0x80 ? [b.length] : [0x81, b.length])]), b]);
  };
  const seq = (...c: Buffer[]) => der(0x30, ...c);
  const ed25519 = seq(der(0x06, Buffer.from([0x2b, 0x65, 0x70])));
  const name = seq(der(0x31, seq(der(0x06, Buffer.from([0x55, 0x04, 0x03])), der(0x0c, Buffer.from("ed25519 IdP")))));
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
  const validity = seq(der(0x17, Buffer.from("200101000000Z")), der(0x17, Buffer.from("491231235959Z")));
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, Buffer.from([1])),
    ed25519,
    name,
    validity,
    name,
    publicKey.export({ type: "spki", format: "der" }),
  );
  const cert = seq(tbs, ed25519, der(0x03, Buffer.from([0]), crypto.sign(null, tbs, privateKey)));
  return `-----BEGIN CERTIFICATE-----\n${cert
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .trimEnd()}\n-----END CERTIFICATE-----`;
}

for (const dialect of DIALECTS) {
  describe(`SAML edge cases (${dialect})`, () => {
    let s: TestServer;
    let idp: TestSamlIdp;
    let owner: TestUser;
    let providerId: string;
    let provider: { spEntityId: string; acsUrl: string; sloUrl: string; metadataUrl: string };
    let staff: string;
    let ops: string;
    let down: http.Server;
    let downUrl: string;
    const account = (username: string, attributes: SamlAccount["attributes"]): SamlAccount => ({
      username,
      password: `${username}-pw`,
      nameId: `${username}-persistent`,
      attributes,
    });
    const alice = account("alice", { username: "alice", email: "alice@example.org", displayName: "Alice", groups: ["ops", "parley-admins"] });
    const bare = account("bare", {});
    const mailOnly = account("mailonly", { email: "Bob.Builder@example.org" });
    const oneGroup = account("onegroup", { username: "onegroup", groups: "Domain Users" });
    const twoGroups = account("twogroups", { username: "twogroups", groups: ["Domain Users", "ops"] });
    const uid = account("uid", { username: "uid-user", uid: ["U-1001", "U-9999"] });
    const erin = account("erin", { username: "erin", email: "erin@example.org" });

    before(async () => {
      s = await startTestServer({ dialect, config: { loginAttempts: 1000 } });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      idp = await startSamlIdp({ accounts: [alice, bare, mailOnly, oneGroup, twoGroups, uid, erin] });
      staff = (await owner.api("POST", "/channels", { kind: "private", name: "staff" })).body.id;
      ops = (await owner.api("POST", "/channels", { kind: "private", name: "ops" })).body.id;
      const created = await owner.api("POST", "/sso/providers", {
        kind: "saml",
        name: "Edges SAML",
        idpMetadataXml: idp.metadataXml,
        roleMapping: [{ group: "parley-admins", role: "admin" }],
        channelMapping: [
          { group: "Domain Users", channelId: staff },
          { group: "ops", channelId: ops },
        ],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      providerId = created.body.id;
      provider = created.body;
      idp.registerSp(await (await fetch(provider.metadataUrl)).text());
      // An SSO URL that answers, but with a server error.
      const port = await freePort();
      down = http.createServer((_req, res) => res.writeHead(503).end("maintenance"));
      await new Promise<void>((resolve) => down.listen(port, "127.0.0.1", resolve));
      downUrl = `http://127.0.0.1:${port}/sso`;
    });
    after(async () => {
      await new Promise<void>((resolve) => (down ? down.close(() => resolve()) : resolve()));
      await idp?.stop();
      await s?.stop();
    });

    const audit = (action: string) => s.deps.db.selectFrom("audit_log").selectAll().where("action", "=", action).orderBy("seq").execute();
    const lastDetails = async (action: string) => JSON.parse((await audit(action)).at(-1)!.details as string);
    const providerRows = () => s.deps.db.selectFrom("sso_providers").select(["id", "settings", "updated_at"]).orderBy("id").execute();
    const signIn = (a: SamlAccount, craft?: (req: { id: string }) => Craft, jar?: CookieJar): Promise<SamlOutcome> =>
      samlSignIn(s, providerId, a, { idp, jar, ...(craft ? { replaceResponse: (_o, req) => idp.response(req, a, craft(req)) } : {}) });
    const refusedWith = async (out: SamlOutcome, reason: string, check: string) => {
      assert.equal(out.fragment.get("error"), "sso_failed", out.landing);
      assert.equal(out.fragment.get("reason"), reason, out.landing);
      assert.deepEqual(await lastDetails("auth.login.failed"), { reason, via: "saml", providerId, check });
    };
    const userByName = (username: string) => s.deps.db.selectFrom("users").selectAll().where("username", "=", username).executeTakeFirst();
    const memberOf = async (userId: string) =>
      (await s.deps.db.selectFrom("channel_members").select("channel_id").where("user_id", "=", userId).execute()).map((r) => r.channel_id).sort();
    const patch = (body: Record<string, unknown>) => owner.api("PATCH", `/sso/providers/${providerId}`, { kind: "saml", ...body });
    const activeSessions = (nameId: string) =>
      s.deps.db.selectFrom("sessions").select(["id", "sso_sid"]).where("sso_name_id", "=", nameId).where("revoked_at", "is", null).execute();
    const postSlo = (samlRequest: string, url = provider.sloUrl) =>
      fetch(url, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ SAMLRequest: samlRequest }).toString(),
      });

    describe("IdP metadata an admin pastes", () => {
      it("reads prefixed metadata: signing and unmarked KeyDescriptors (not encryption ones), the Redirect SSO among others, character references", async () => {
        const encryption = makeSigningKeyPair("encryption only").certificate;
        // One certificate's body as some IdPs write it: 64-character lines ending in &#13;.
        const withCr = body64(idp.certificate).replace(/(.{64})/g, "$1&#13;\n");
        const xml =
          `<!-- <md:EntityDescriptor entityID="in-a-comment"/> -->` +
          metadata({
            entityId: "https:&#x2F;&#x2F;idp.example&#47;saml?tenant=a&amp;b",
            keys: [
              key("signing", withCr),
              key(undefined, body64(idp.otherCertificate)),
              key("encryption", body64(encryption)),
              key("signing", body64(idp.certificate)),
            ],
            services: [
              sso(POST, "https://idp.example/sso/post"),
              `<md:SingleSignOnService Location='https://idp.example/sso?x=1&amp;y=&#233;' Binding='${REDIRECT}'/>`,
              slo(POST, "https://idp.example/slo/post"),
            ],
          });
        const r = await owner.api("POST", "/sso/providers", { kind: "saml", name: "Variant", enabled: false, idpMetadataXml: xml });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal(r.body.idpEntityId, "https://idp.example/saml?tenant=a&b");
        assert.equal(r.body.idpSsoUrl, "https://idp.example/sso?x=1&y=é", "the Redirect binding, single quotes and references read");
        assert.equal(r.body.idpSloUrl, null, "an SLO with the POST binding only is no SLO");
        assert.equal(r.body.idpCertificates.length, 2, "the repeated certificate counted once, the encryption one left out");
        assert.ok(same(r.body.idpCertificates[0], idp.certificate), "the certificate with &#13; line ends is read");
        assert.ok(same(r.body.idpCertificates[1], idp.otherCertificate));
        assert.equal(JSON.parse((await audit("org.sso.provider.created")).at(-1)!.details as string).fromMetadata, true);
        assert.equal((await owner.api("DELETE", `/sso/providers/${r.body.id}`)).status, 204);
      });

      it("an SLO with the Redirect binding is read; one without a Location is none", async () => {
        const base = { entityId: "https://idp.example/e", keys: [key("signing", body64(idp.certificate))] };
        const withSlo = await owner.api("POST", "/sso/providers", {
          kind: "saml",
          name: "With SLO",
          enabled: false,
          idpMetadataXml: metadata({ ...base, services: [sso(REDIRECT, "https://idp.example/sso"), slo(REDIRECT, "https://idp.example/slo")] }),
        });
        assert.equal(withSlo.status, 201, JSON.stringify(withSlo.body));
        assert.equal(withSlo.body.idpSloUrl, "https://idp.example/slo");
        const noLocation = await owner.api("POST", "/sso/providers", {
          kind: "saml",
          name: "SLO without Location",
          enabled: false,
          idpMetadataXml: metadata({ ...base, services: [sso(REDIRECT, "https://idp.example/sso"), `<md:SingleLogoutService Binding="${REDIRECT}"/>`] }),
        });
        assert.equal(noLocation.status, 201, JSON.stringify(noLocation.body));
        assert.equal(noLocation.body.idpSloUrl, null);
        for (const id of [withSlo.body.id, noLocation.body.id]) assert.equal((await owner.api("DELETE", `/sso/providers/${id}`)).status, 204);
      });

      it("refuses metadata it cannot use, saying why; nothing written", async () => {
        const before = await providerRows();
        const cert = key("signing", body64(idp.certificate));
        const ok = sso(REDIRECT, "https://idp.example/sso");
        const three = [idp.certificate, idp.otherCertificate, makeSigningKeyPair("third").certificate].map((c) => key("signing", body64(c)));
        const cases: Array<[string, string, RegExp]> = [
          [
            "two entities",
            metadata({ entityId: "a", keys: [cert], services: [ok] }) + metadata({ entityId: "b", keys: [cert], services: [ok] }),
            /several EntityDescriptors/,
          ],
          ["no entityID", `<md:EntityDescriptor ${MD}><md:IDPSSODescriptor>${cert}${ok}</md:IDPSSODescriptor></md:EntityDescriptor>`, /no entityID/],
          [
            "an SP's metadata",
            `<md:EntityDescriptor ${MD} entityID="sp"><md:SPSSODescriptor>${cert}</md:SPSSODescriptor></md:EntityDescriptor>`,
            /no IDPSSODescriptor/,
          ],
          ["never closed", `<md:EntityDescriptor ${MD} entityID="x"><md:IDPSSODescriptor>${cert}${ok}`, /no IDPSSODescriptor/],
          [
            "only the POST binding",
            metadata({ entityId: "e", keys: [cert], services: [sso(POST, "https://idp.example/sso")] }),
            /no SingleSignOnService with the HTTP-Redirect/,
          ],
          ["no SSO service", metadata({ entityId: "e", keys: [cert], services: [] }), /no SingleSignOnService/],
          [
            "an SSO service without Location",
            metadata({ entityId: "e", keys: [cert], services: [`<md:SingleSignOnService Binding="${REDIRECT}"/>`] }),
            /has no Location/,
          ],
          ["only an encryption key", metadata({ entityId: "e", keys: [key("encryption", body64(idp.certificate))], services: [ok] }), /no signing certificate/],
          ["three signing keys", metadata({ entityId: "e", keys: three, services: [ok] }), /3 signing certificates/],
          ["a zero character reference", metadata({ entityId: "&#0;", keys: [cert], services: [ok] }), /invalid character reference/],
        ];
        for (const [name, xml, message] of cases) {
          const r = await owner.api("POST", "/sso/providers", { kind: "saml", name: "Refused", idpMetadataXml: xml });
          assert.equal(r.status, 400, `${name}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.code, "validation_failed");
          const issue = r.body.details.issues.find((i: { path: unknown[] }) => i.path.join(".") === "idpMetadataXml");
          assert.match(issue?.message ?? "", message, name);
        }
        assert.deepEqual(await providerRows(), before);
      });
    });

    describe("responses", () => {
      it("no attributes at all: no username to make, refused; an email alone gives the username", async () => {
        const out = await signIn(bare);
        assert.equal(out.fragment.get("error"), "sso_failed", out.landing);
        assert.equal(out.fragment.get("reason"), "username_unusable");
        const ok = await signIn(mailOnly);
        assert.equal(ok.complete?.status, 200, JSON.stringify(ok.complete?.body ?? ok.landing));
        const user = (await userByName("bob.builder"))!;
        assert.equal(user.email, "bob.builder@example.org");
        assert.equal(user.display_name, "bob.builder", "no name attribute: the username");
        assert.equal(user.role, "member", "no groups: no mapped role");
      });

      it("groups: one value is one group (even with a space), several values several groups", async () => {
        const one = await signIn(oneGroup);
        assert.equal(one.complete?.status, 200, JSON.stringify(one.complete?.body ?? one.landing));
        assert.deepEqual(await memberOf(one.complete!.body.user.id), [staff], "the single group 'Domain Users' maps to #staff");
        const two = await signIn(twoGroups);
        assert.equal(two.complete?.status, 200, JSON.stringify(two.complete?.body ?? two.landing));
        assert.deepEqual(await memberOf(two.complete!.body.user.id), [ops, staff].sort());
      });

      it("a subject attribute: its first value links the account, a transient NameID is then fine; without it the sign-in is refused", async () => {
        assert.equal((await patch({ attributes: { subject: "uid" } })).status, 200);
        try {
          const first = await signIn(uid, () => ({ nameIdFormat: TRANSIENT, nameId: "random-1" }));
          assert.equal(first.complete?.status, 200, JSON.stringify(first.complete?.body ?? first.landing));
          const identity = await s.deps.db
            .selectFrom("sso_identities")
            .selectAll()
            .where("user_id", "=", first.complete!.body.user.id)
            .executeTakeFirstOrThrow();
          assert.equal(identity.subject, "U-1001");
          // Another transient NameID, the same uid: the same account.
          const again = await signIn({ ...uid, attributes: { uid: " U-1001 " } }, () => ({ nameIdFormat: TRANSIENT, nameId: "random-2" }));
          assert.equal(again.complete?.body.user.id, first.complete!.body.user.id);
          await refusedWith(await signIn(alice), "token_invalid", "subject_missing");
          await refusedWith(await signIn(bare), "token_invalid", "subject_missing");
        } finally {
          assert.equal((await patch({ attributes: { subject: null } })).status, 200);
        }
      });

      it("with the NameID as subject: a transient NameID is a configuration error, a missing one a failed check", async () => {
        await refusedWith(await signIn(alice, () => ({ nameIdFormat: TRANSIENT })), "configuration", "nameid_transient");
        await refusedWith(await signIn(alice, () => ({ nameId: null })), "token_invalid", "subject_missing");
      });

      it("a NameID without Format: signed in, and the logout request names it 'unspecified'", async () => {
        const out = await signIn(erin, () => ({ nameIdFormat: null }));
        assert.equal(out.complete?.status, 200, JSON.stringify(out.complete?.body ?? out.landing));
        const r = await call(s, "GET", "/auth/sso/logout-url", undefined, { authorization: `Bearer ${out.complete!.body.accessToken}` });
        assert.equal(r.status, 200);
        const request = zlib.inflateRawSync(Buffer.from(new URL(r.body.url).searchParams.get("SAMLRequest")!, "base64")).toString();
        assert.match(request, /Format="urn:oasis:names:tc:SAML:1\.1:nameid-format:unspecified"/);
        assert.equal((await fetch(r.body.url)).status, 200, "the IdP verified it");
      });

      it("a signed Response around an unsigned assertion is refused; both signed is accepted", async () => {
        await refusedWith(await signIn(alice, () => ({ signAssertion: false, signResponse: true })), "token_invalid", "signature");
        const both = await signIn(alice, () => ({ signResponse: true }));
        assert.equal(both.complete?.status, 200, JSON.stringify(both.complete?.body ?? both.landing));
      });

      it("a status instead of an assertion: the IdP's refusal shown; NoPassive; Success with nothing; not XML", async () => {
        const codes = (await s.deps.db.selectFrom("sso_codes").select("code_hash").execute()).length;
        const failed = await signIn(alice, () => ({ status: { code: "urn:oasis:names:tc:SAML:2.0:status:Responder", message: "account locked" } }));
        await refusedWith(failed, "idp_error", "status");
        assert.match(failed.fragment.get("message") ?? "", /account locked/);
        const noPassive = () => ({
          signResponse: true,
          status: { code: "urn:oasis:names:tc:SAML:2.0:status:Responder", subCode: "urn:oasis:names:tc:SAML:2.0:status:NoPassive" },
        });
        await refusedWith(await signIn(alice, noPassive), "token_invalid", "no_assertion");
        await refusedWith(await signIn(alice, () => ({ status: { code: "urn:oasis:names:tc:SAML:2.0:status:Success" } })), "token_invalid", "invalid");
        const notXml = await samlSignIn(s, providerId, alice, { idp, replaceResponse: () => Buffer.from("not xml").toString("base64") });
        await refusedWith(notXml, "token_invalid", "invalid");
        assert.equal((await s.deps.db.selectFrom("sso_codes").select("code_hash").execute()).length, codes, "no code issued");
      });

      it("the bearer confirmation must name our request and our ACS; an assertion without an end of validity is refused", async () => {
        await refusedWith(await signIn(alice, () => ({ confirmationInResponseTo: null })), "token_invalid", "in_response_to");
        await refusedWith(await signIn(alice, () => ({ noSubjectConfirmation: true })), "token_invalid", "recipient");
        // It could be replayed for ever: node-saml refuses it before Parley's own check (no_expiry) would.
        await refusedWith(await signIn(alice, () => ({ omitNotOnOrAfter: "all" })), "token_invalid", "invalid");
        await refusedWith(await signIn(alice, () => ({ omitNotOnOrAfter: "conditions" })), "token_invalid", "invalid");
      });
    });

    describe("single logout", () => {
      it("a LogoutRequest for no known session is answered (nothing ended, audited at the provider); a wrong SessionIndex ends nothing", async () => {
        const out = await signIn(erin);
        assert.equal(out.complete?.status, 200);
        const before = await activeSessions(erin.nameId);
        const unknown = await postSlo(idp.logoutRequest(provider, "someone-else", "s-unknown"));
        assert.equal(unknown.status, 302);
        assert.ok(new URL(unknown.headers.get("location")!).searchParams.get("SAMLResponse"));
        const entry = (await audit("auth.sso.logout")).at(-1)!;
        assert.equal(entry.target_kind, "sso_provider");
        assert.deepEqual(JSON.parse(entry.details as string), { providerId, via: "saml", by: "session_index", sessions: 0 });
        assert.equal((await postSlo(idp.logoutRequest(provider, erin.nameId, "s-not-erins"))).status, 302);
        assert.deepEqual(await activeSessions(erin.nameId), before, "a SessionIndex of another IdP session ends nothing");
      });

      it("a LogoutRequest without SessionIndex ends every session of the NameID", async () => {
        await signIn(erin);
        await signIn(erin);
        const sessions = await activeSessions(erin.nameId);
        assert.ok(sessions.length >= 2);
        const r = await postSlo(idp.logoutRequest(provider, erin.nameId, null));
        assert.equal(r.status, 302);
        assert.deepEqual(await activeSessions(erin.nameId), []);
        const entry = (await audit("auth.sso.logout")).at(-1)!;
        assert.deepEqual(JSON.parse(entry.details as string), { providerId, via: "saml", by: "name_id", sessions: sessions.length });
        assert.equal(entry.target_kind, "user");
      });

      it("HTTP-Redirect: a signed LogoutRequest ends the session and the RelayState goes back; unsigned, forged or foreign ones are refused", async () => {
        const out = await signIn(erin);
        const session = (await activeSessions(erin.nameId))[0]!;
        const refusals = (await audit("auth.sso.logout.refused")).length;
        const cases: Array<[string, { otherKey?: boolean; unsigned?: boolean; issuer?: string }, string]> = [
          ["unsigned", { unsigned: true }, "signature"],
          ["signed by another key", { otherKey: true }, "signature"],
          ["from another issuer", { issuer: "https://evil.example/idp" }, "issuer"],
        ];
        for (const [name, opts, check] of cases) {
          const r = await fetch(idp.logoutRequestRedirect(provider, erin.nameId, session.sso_sid ?? null, opts), { redirect: "manual" });
          assert.equal(r.status, 400, name);
          assert.equal((await lastDetails("auth.sso.logout.refused")).check, `the LogoutRequest failed a check (${check})`, name);
        }
        assert.equal((await audit("auth.sso.logout.refused")).length, refusals + cases.length);
        assert.equal((await activeSessions(erin.nameId)).length, 1, "still signed in");
        const ok = await fetch(idp.logoutRequestRedirect(provider, erin.nameId, session.sso_sid ?? null, { relayState: "back to the portal" }), {
          redirect: "manual",
        });
        assert.equal(ok.status, 302);
        const back = new URL(ok.headers.get("location")!);
        assert.equal(back.origin + back.pathname, `${idp.url}/slo`);
        assert.equal(back.searchParams.get("RelayState"), "back to the portal");
        assert.deepEqual(await activeSessions(erin.nameId), []);
        const r = await call(s, "GET", "/auth/sso/logout-url", undefined, { authorization: `Bearer ${out.complete!.body.accessToken}` });
        assert.equal(r.status, 401);
      });

      it("an unknown or disabled provider's SLO refuses the request", async () => {
        const request = idp.logoutRequest(provider, erin.nameId, null);
        assert.equal((await postSlo(request, `${s.url}/auth/sso/idp_nope/saml/slo`)).status, 400);
        assert.equal((await patch({ enabled: false })).status, 200);
        try {
          const r = await postSlo(request);
          assert.equal(r.status, 400);
          assert.match((await r.json()).error_description, /no enabled SAML provider/);
        } finally {
          assert.equal((await patch({ enabled: true })).status, 200);
        }
      });
    });

    describe("changing the provider", () => {
      it("re-imported metadata replaces the IdP fields (the name sent beside it stays); a rolled-over key signs in; the old one is refused once removed", async () => {
        const rolled = metadata({
          entityId: idp.entityId,
          keys: [key("signing", body64(idp.otherCertificate)), key(undefined, body64(idp.certificate))],
          services: [sso(REDIRECT, `${idp.url}/sso`)],
        });
        const r = await patch({ idpMetadataXml: rolled, name: "Edges SAML (rolled)" });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.name, "Edges SAML (rolled)");
        assert.equal(r.body.idpSloUrl, null, "the new metadata has no SLO");
        assert.ok(same(r.body.idpCertificates[0], idp.otherCertificate) && same(r.body.idpCertificates[1], idp.certificate));
        const changed = await lastDetails("org.sso.provider.changed");
        assert.equal(changed.fromMetadata, true);
        assert.deepEqual(changed.changed.sort(), ["idpCertificates", "idpSloUrl", "name"]);
        try {
          const newKey = await signIn(alice, () => ({ otherKey: true }));
          assert.equal(newKey.complete?.status, 200, JSON.stringify(newKey.complete?.body ?? newKey.landing));
          const oldKey = await signIn(alice);
          assert.equal(oldKey.complete?.status, 200, "both keys during the rollover");
          const url = await call(s, "GET", "/auth/sso/logout-url", undefined, { authorization: `Bearer ${oldKey.complete!.body.accessToken}` });
          assert.deepEqual([url.status, url.body.url], [200, null], "no SLO: no logout URL");
          assert.equal((await patch({ idpCertificates: [idp.otherCertificate] })).status, 200);
          await refusedWith(await signIn(alice), "token_invalid", "signature");
        } finally {
          const back = await patch({ idpMetadataXml: idp.metadataXml, name: "Edges SAML" });
          assert.equal(back.status, 200, JSON.stringify(back.body));
          assert.equal(back.body.idpSloUrl, `${idp.url}/slo`);
          assert.deepEqual(back.body.idpCertificates.length, 1);
        }
        assert.equal((await signIn(alice)).complete?.status, 200);
      });

      it("disabled: no sign-in starts and a response in flight is refused; enabled again it works", async () => {
        const jar = new CookieJar();
        const start = await jar.fetch(`${s.url}/auth/sso/${providerId}/start?deviceName=x`);
        await start.arrayBuffer();
        const off = await patch({ enabled: false });
        assert.equal(off.status, 200);
        assert.equal(off.body.enabled, false);
        assert.equal((await lastDetails("org.sso.provider.changed")).enabled, false);
        try {
          const blocked = await jar.fetch(`${s.url}/auth/sso/${providerId}/start?deviceName=x`);
          await blocked.arrayBuffer();
          assert.match(blocked.headers.get("location") ?? "", /reason=provider_unknown/);
          const relayState = new URL(start.headers.get("location")!).searchParams.get("RelayState")!;
          const inFlight = await postToAcs(s, jar, provider.acsUrl, idp.response({ id: "_in-flight", relayState, acsUrl: provider.acsUrl }, alice), relayState);
          assert.equal(inFlight.fragment.get("reason"), "provider_unknown");
        } finally {
          assert.equal((await patch({ enabled: true })).status, 200);
        }
        assert.equal((await signIn(alice)).complete?.status, 200);
      });

      it("refuses an http SLO URL, a certificate not yet valid, and a SAML change to an OIDC provider; nothing written", async () => {
        const before = await providerRows();
        const slo = await patch({ idpSloUrl: "http://idp.example/slo" });
        assert.equal(slo.status, 400);
        assert.deepEqual(
          slo.body.details.issues.map((i: { path: unknown[] }) => i.path.join(".")),
          ["idpSloUrl"],
        );
        const future = makeSigningKeyPair("future", { notBefore: Date.now() + 86_400_000, notAfter: Date.now() + 2 * 86_400_000 }).certificate;
        const early = await patch({ idpCertificates: [idp.certificate, future] });
        assert.equal(early.status, 400);
        assert.match(early.body.message, /idpCertificates\.1: not valid before/);
        const ed = await patch({ idpCertificates: [ed25519Certificate()] });
        assert.equal(ed.status, 400);
        assert.match(ed.body.message, /idpCertificates\.0: its key is neither RSA nor EC/);
        assert.deepEqual(await providerRows(), before);
        const oidc = await owner.api("POST", "/sso/providers", { kind: "oidc", name: "OIDC", enabled: false, issuer: "https://oidc.example", clientId: "c" });
        assert.equal(oidc.status, 201, JSON.stringify(oidc.body));
        const wrong = await owner.api("PATCH", `/sso/providers/${oidc.body.id}`, { kind: "saml", name: "now SAML" });
        assert.equal(wrong.status, 400);
        assert.match(wrong.body.message, /this is an OIDC provider/);
        assert.equal((await owner.api("DELETE", `/sso/providers/${oidc.body.id}`)).status, 204);
      });

      it("refuses channel mappings to a DM, an archived channel, or a private channel the admin is not in; nothing written", async () => {
        const member = await makeUser(s, owner);
        const dm = (await owner.api("POST", "/dms", { userIds: [member.user.id] })).body.id;
        const old = (await owner.api("POST", "/channels", { kind: "public", name: "old-news" })).body.id;
        assert.equal((await owner.api("POST", `/channels/${old}/archive`)).status, 200);
        const before = await providerRows();
        const r = await patch({
          channelMapping: [
            { group: "a", channelId: dm },
            { group: "b", channelId: old },
            { group: "c", channelId: ops },
          ],
        });
        assert.equal(r.status, 400);
        assert.deepEqual(
          r.body.details.issues.map((i: { path: unknown[]; message: string }) => [i.path.join("."), i.message]),
          [
            ["channelMapping.0.channelId", "DMs cannot be mapped"],
            ["channelMapping.1.channelId", "the channel is archived"],
          ],
          "the owner may map #ops",
        );
        // An admin outside the private #ops may not map a group into it (nor learn that it exists).
        const admin = await makeUser(s, owner, { role: "admin" });
        const byAdmin = await admin.api("PATCH", `/sso/providers/${providerId}`, { kind: "saml", channelMapping: [{ group: "c", channelId: ops }] });
        assert.equal(byAdmin.status, 400, JSON.stringify(byAdmin.body));
        assert.deepEqual(
          byAdmin.body.details.issues.map((i: { path: unknown[]; message: string }) => [i.path.join("."), i.message]),
          [["channelMapping.0.channelId", "no such channel"]],
        );
        assert.deepEqual(await providerRows(), before);
      });

      it("the test of an IdP whose SSO URL answers 5xx, or whose stored certificate has expired, fails at that stage", async () => {
        const created = await owner.api("POST", "/sso/providers", {
          kind: "saml",
          name: "Down",
          enabled: false,
          idpEntityId: "https://down.example/e",
          idpSsoUrl: downUrl,
          idpCertificates: [idp.certificate],
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const id = created.body.id as string;
        const t = await owner.api("POST", `/sso/providers/${id}/test`);
        assert.deepEqual([t.body.ok, t.body.stage], [false, "sso_url"]);
        assert.match(t.body.message, /HTTP 503/);
        assert.equal((await lastDetails("org.sso.provider.tested")).stage, "sso_url");
        // The certificate expired after it was saved.
        const expired = makeSigningKeyPair("old", { notBefore: Date.now() - 2 * 86_400_000, notAfter: Date.now() - 86_400_000 }).certificate;
        const row = await s.deps.db.selectFrom("sso_providers").select("settings").where("id", "=", id).executeTakeFirstOrThrow();
        const settings = { ...JSON.parse(row.settings), idpCertificates: [idp.certificate, expired] };
        await s.deps.db
          .updateTable("sso_providers")
          .set({ settings: JSON.stringify(settings) })
          .where("id", "=", id)
          .execute();
        const c = await owner.api("POST", `/sso/providers/${id}/test`);
        assert.deepEqual([c.body.ok, c.body.stage], [false, "certificates"]);
        assert.match(c.body.message, /^certificate 2: expired on/);
        assert.equal((await owner.api("DELETE", `/sso/providers/${id}`)).status, 204);
      });

      it("stored settings gone bad: an http SSO URL refuses the sign-in start; unparsable ones hide the provider until it is saved again in full", async () => {
        const created = await owner.api("POST", "/sso/providers", {
          kind: "saml",
          name: "Stored",
          idpEntityId: "https://stored.example/e",
          idpSsoUrl: "https://stored.example/sso",
          idpCertificates: [idp.certificate],
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const id = created.body.id as string;
        const setSettings = (settings: string) => s.deps.db.updateTable("sso_providers").set({ settings }).where("id", "=", id).execute();
        // Saved while plain http was allowed (the server's setting since turned off).
        await setSettings(JSON.stringify({ ...created.body, idpSsoUrl: "http://stored.example/sso" }));
        const start = await new CookieJar().fetch(`${s.url}/auth/sso/${id}/start?deviceName=x`);
        await start.arrayBuffer();
        assert.match(start.headers.get("location") ?? "", /^.*\/sso#error=sso_failed&reason=configuration/);
        assert.equal((await lastDetails("auth.login.failed")).check, "http_sso_url");
        await setSettings("{not json");
        assert.deepEqual(
          (await owner.api("GET", "/sso/providers")).body.providers.map((p: { id: string }) => p.id),
          [providerId],
          "a broken provider is not listed",
        );
        const t = await owner.api("POST", `/sso/providers/${id}/test`);
        assert.equal(t.status, 400);
        assert.match(t.body.message, /stored settings are broken/);
        const partial = await owner.api("PATCH", `/sso/providers/${id}`, { kind: "saml", enabled: false });
        assert.equal(partial.status, 400, "the IdP fields are gone: send them");
        assert.equal(partial.body.code, "validation_failed");
        const full = await owner.api("PATCH", `/sso/providers/${id}`, {
          kind: "saml",
          name: "Stored again",
          enabled: false,
          idpEntityId: "https://stored.example/e",
          idpSsoUrl: "https://stored.example/sso",
          idpCertificates: [idp.certificate],
          attributes: { email: "mail" },
        });
        assert.equal(full.status, 200, JSON.stringify(full.body));
        assert.equal(full.body.attributes.email, "mail");
        assert.equal(full.body.attributes.username, "username", "the other attributes default");
        assert.ok((await lastDetails("org.sso.provider.changed")).changed.includes("idpEntityId"), "every field counts as changed");
        assert.equal((await owner.api("DELETE", `/sso/providers/${id}`)).status, 204);
      });

      it("an admin may not remove a provider that signs in an admin; the owner may", async () => {
        const out = await signIn(alice);
        assert.equal(out.complete?.status, 200);
        assert.equal((await userByName("alice"))?.role, "admin");
        const admin = await makeUser(s, owner, { role: "admin" });
        const refused = await admin.api("DELETE", `/sso/providers/${providerId}`);
        assert.equal(refused.status, 403, JSON.stringify(refused.body));
        assert.equal((await owner.api("DELETE", `/sso/providers/${providerId}`)).status, 204);
        assert.equal((await fetch(provider.metadataUrl)).status, 404);
        assert.equal(await s.deps.db.selectFrom("sso_identities").select("user_id").where("provider_id", "=", providerId).executeTakeFirst(), undefined);
      });
    });
  });
}
