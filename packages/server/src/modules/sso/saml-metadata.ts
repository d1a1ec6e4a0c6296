/**
 * Reading an IdP's SAML metadata (one EntityDescriptor, pasted by an admin): its entity ID,
 * the HTTP-Redirect SSO and SLO endpoints of its IDPSSODescriptor, and its signing
 * certificates. A small reader of that one shape, not a general XML parser: no DTDs or
 * entities are processed (a DOCTYPE is refused), and whatever it returns is then checked
 * like typed-in fields (URLs, certificates that parse and are in date).
 */
const REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/** What the metadata names. */
export interface IdpMetadata {
  idpEntityId: string;
  idpSsoUrl: string;
  idpSloUrl: string | null;
  idpCertificates: string[];
}

/** The metadata cannot be used: `message` says why (shown to the admin). */
export class MetadataUnreadable extends Error {
  override name = "MetadataUnreadable";
}

const unescape = (s: string) =>
  s.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-f]+);/gi, (_m, e: string) => {
    const named: Record<string, string> = { lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" };
    if (named[e.toLowerCase()]) return named[e.toLowerCase()]!;
    const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    if (!(code > 0 && code <= 0x10ffff)) throw new MetadataUnreadable(`the metadata has an invalid character reference (&${e};)`);
    return String.fromCodePoint(code);
  });

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(tag);
  return m ? unescape(m[2] ?? m[3] ?? "") : undefined;
}

/** Elements `<p:Local …>` (opening tags), with their body up to the matching close when `withBody`. */
function elements(xml: string, local: string): Array<{ tag: string; body: string }> {
  const out: Array<{ tag: string; body: string }> = [];
  const open = new RegExp(`<((?:[\\w.-]+:)?${local})\\b[^>]*?(/?)>`, "g");
  for (let m = open.exec(xml); m; m = open.exec(xml)) {
    if (m[2] === "/") {
      out.push({ tag: m[0], body: "" });
      continue;
    }
    const close = xml.indexOf(`</${m[1]}>`, open.lastIndex);
    out.push({ tag: m[0], body: close < 0 ? "" : xml.slice(open.lastIndex, close) });
  }
  return out;
}

function pem(base64: string): string {
  const b = base64.replace(/\s+/g, "");
  return `-----BEGIN CERTIFICATE-----\n${b.replace(/(.{64})/g, "$1\n").trimEnd()}\n-----END CERTIFICATE-----`;
}

export function parseIdpMetadata(xml: string): IdpMetadata {
  const text = xml.replace(/<!--[\s\S]*?-->/g, "");
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new MetadataUnreadable("the metadata has a DOCTYPE; paste the plain EntityDescriptor");
  const entities = elements(text, "EntityDescriptor");
  if (entities.length === 0) throw new MetadataUnreadable("no EntityDescriptor: paste the IdP's SAML metadata XML");
  if (entities.length > 1) throw new MetadataUnreadable("several EntityDescriptors: paste the metadata of one IdP");
  const entity = entities[0]!;
  const idpEntityId = attr(entity.tag, "entityID");
  if (!idpEntityId) throw new MetadataUnreadable("the EntityDescriptor has no entityID");
  const idp = elements(entity.body, "IDPSSODescriptor")[0];
  if (!idp) throw new MetadataUnreadable("no IDPSSODescriptor: this is not an identity provider's metadata");
  const redirect = (local: string) => elements(idp.body, local).find((e) => attr(e.tag, "Binding") === REDIRECT);
  const sso = redirect("SingleSignOnService");
  if (!sso) throw new MetadataUnreadable("the IdP offers no SingleSignOnService with the HTTP-Redirect binding");
  const idpSsoUrl = attr(sso.tag, "Location");
  if (!idpSsoUrl) throw new MetadataUnreadable("the SingleSignOnService has no Location");
  const slo = redirect("SingleLogoutService");
  const idpCertificates = elements(idp.body, "KeyDescriptor")
    .filter((k) => (attr(k.tag, "use") ?? "signing") === "signing")
    // Character references count too: some IdPs end the base64 lines with &#13;.
    .flatMap((k) => elements(k.body, "X509Certificate").map((c) => pem(unescape(c.body))));
  const unique = [...new Set(idpCertificates)];
  if (unique.length === 0) throw new MetadataUnreadable("the IdP publishes no signing certificate");
  if (unique.length > 2) throw new MetadataUnreadable(`the IdP publishes ${unique.length} signing certificates; Parley keeps at most 2: enter them by hand`);
  return { idpEntityId, idpSsoUrl, idpSloUrl: slo ? (attr(slo.tag, "Location") ?? null) : null, idpCertificates: unique };
}
