/**
 * Single sign-on (issue 10): an org's OpenID Connect identity providers and the sign-in
 * through them. Owners and admins (permission `org.manage_security`) add, change, test and
 * remove providers; a provider whose mapping grants owner or admin, that links accounts by
 * email, or that may sign in owners or admins needs an owner.
 *
 * The browser part of a sign-in is not in this table (it is made of redirects, not JSON):
 * `GET /auth/sso/:providerId/start?deviceName=…` sends the browser to the IdP (state, nonce,
 * PKCE S256), the IdP sends it back to `GET /auth/sso/oidc/callback`, and the server sends it
 * on to the web app at `/sso#code=…` (or `/sso#error=CODE&message=…`). The web app exchanges
 * the one-time code with {@link ssoRoutes.completeSso} for tokens, as a password sign-in would
 * get them. The IdP ends sessions with `POST /auth/sso/oidc/backchannel` (OIDC Back-Channel
 * Logout 1.0). docs/identity.md describes the whole flow.
 *
 * SAML 2.0 providers (`kind: "saml"`) share the table, the start, the one-time code and the
 * mappings; their IdP answers at the provider's own `POST /auth/sso/:providerId/saml/acs`,
 * the SP metadata is public at `GET /auth/sso/:providerId/saml/metadata`, and single logout
 * runs through `GET|POST /auth/sso/:providerId/saml/slo` (all outside this table).
 *
 * The client secret is write-only: stored sealed and never returned. Changing the issuer or
 * the client id requires sending it again, so a stored secret is never sent to an IdP it was
 * not entered for.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { AuthTokens, DeviceName, DisplayName, Id, OrgRole, Slug, Timestamp } from "./models.ts";

/** No control characters (a value goes into one line of a form or a log). */
const singleLine = /^\P{Cc}*$/u;

function isIssuerUrl(s: string): boolean {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  return (u.protocol === "https:" || u.protocol === "http:") && u.hostname !== "" && !u.username && !u.password && !u.search && !u.hash;
}

/**
 * The IdP's issuer identifier, e.g. `https://login.example.org/realms/acme`: discovery reads
 * `<issuer>/.well-known/openid-configuration`. https only, except for an IdP on 127.0.0.1 or
 * localhost (or anywhere when the server allows it: PARLEY_SSO_ALLOW_HTTP_ISSUERS).
 */
export const IssuerUrl = z
  .string()
  .trim()
  .max(512)
  .refine(isIssuerUrl, "an https:// URL without query or fragment (the IdP's issuer, e.g. https://login.example.org/realms/acme)");

/** A claim name such as `preferred_username`, `email`, `groups` (a dotted path reads nested claims: `realm_access.roles`). */
export const ClaimName = z
  .string()
  .trim()
  .regex(/^[A-Za-z_][A-Za-z0-9_:/.-]{0,127}$/, "a claim name such as preferred_username or groups");

/** A group (or role) value of the groups claim, compared exactly. */
export const SsoGroup = z.string().trim().min(1).max(256).regex(singleLine, "single line");

/** The ID token signature algorithms Parley accepts: asymmetric only (never `none`, never HS*). */
export const IdTokenAlg = z.enum(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]);
export type IdTokenAlg = z.infer<typeof IdTokenAlg>;

/** Which claims of the ID token (and userinfo) Parley reads. */
export const SsoClaims = z.object({
  /** The Parley username of a new account (sanitised: lowercase, invalid characters become `-`; a taken one gets `-2`, `-3`…). */
  username: ClaimName.default("preferred_username"),
  email: ClaimName.default("email"),
  name: ClaimName.default("name"),
  /** An array (or a space-separated string) of groups, for the role and channel mappings. */
  groups: ClaimName.default("groups"),
});
export type SsoClaims = z.infer<typeof SsoClaims>;

const Scope = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/, "a scope token such as openid or email");

const Scopes = z
  .array(Scope)
  .min(1)
  .max(20)
  .refine((s) => s.includes("openid"), "the scopes must include openid");
const RoleMapping = z.array(z.object({ group: SsoGroup, role: OrgRole })).max(50);
const ChannelMapping = z.array(z.object({ group: SsoGroup, channelId: Id })).max(200);
const ClientId = z.string().trim().min(1).max(256).regex(singleLine, "single line");
const DefaultRole = z.enum(["member", "guest"]);

/** What every kind of provider shares: its name and switch, and what a sign-in through it may do to accounts. */
const SsoAccessSettings = z.object({
  /** Shown on the sign-in screen: "Sign in with {name}". */
  name: DisplayName,
  /** Off: the provider stays configured but nobody signs in with it. */
  enabled: z.boolean().default(true),
  /** Members of a group get its role; with several, the most privileged. Empty: the IdP does not manage roles. */
  roleMapping: RoleMapping.default([]),
  /** Members of a group are added to the channel at sign-in (and removed when they leave the group). */
  channelMapping: ChannelMapping.default([]),
  /** The role of new accounts (and of everyone in no mapped group, when roles are mapped). */
  defaultRole: DefaultRole.default("member"),
  /** Create an account at the first sign-in of someone the org does not know (just-in-time provisioning). */
  jit: z.boolean().default(true),
  /** Link a first sign-in to the existing account with the same email address, when the IdP says the address is verified. */
  linkByVerifiedEmail: z.boolean().default(false),
  /** Only single sign-on: accounts of the org no longer sign in with a Parley password (see `localAdminsWhenDown`). */
  enforce: z.boolean().default(false),
  /** With `enforce`: while the IdP cannot be reached, owners and admins may sign in with their Parley password. */
  localAdminsWhenDown: z.boolean().default(true),
});
export type SsoAccessSettings = z.infer<typeof SsoAccessSettings>;

/** An OIDC provider's settings, as stored and returned (never the client secret). */
export const OidcSettings = SsoAccessSettings.extend({
  issuer: IssuerUrl,
  clientId: ClientId,
  scopes: Scopes.default(["openid", "email", "profile"]),
  claims: SsoClaims.default({ username: "preferred_username", email: "email", name: "name", groups: "groups" }),
  /** The ID token signature algorithm the client is registered with at the IdP. */
  idTokenSigningAlg: IdTokenAlg.default("RS256"),
});
export type OidcSettings = z.infer<typeof OidcSettings>;

/** A SAML attribute name: a short name (`email`) or a URI (`http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress`). */
export const SamlAttributeName = z
  .string()
  .trim()
  .regex(/^[^\s<>"]{1,256}$/, "an attribute name such as email or a URI, without spaces");

/** Which attributes of the assertion Parley reads. */
export const SamlAttributes = z.object({
  /** The attribute that identifies the user at the IdP; null: the assertion's NameID (use a persistent NameID format). */
  subject: SamlAttributeName.nullable().default(null),
  username: SamlAttributeName.default("username"),
  email: SamlAttributeName.default("email"),
  name: SamlAttributeName.default("displayName"),
  /** A multi-valued attribute of groups, for the role and channel mappings. */
  groups: SamlAttributeName.default("groups"),
});
export type SamlAttributes = z.infer<typeof SamlAttributes>;

function isHttpUrl(s: string): boolean {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  return (u.protocol === "https:" || u.protocol === "http:") && u.hostname !== "" && !u.username && !u.password && !u.hash;
}

/** An endpoint of the IdP (https; http for 127.0.0.1 and localhost only, checked by the server). */
export const SamlUrl = z.string().trim().max(1024).refine(isHttpUrl, "an https:// URL without fragment");

/** An X.509 certificate in PEM (the IdP's signing certificate). */
export const PemCertificate = z
  .string()
  .trim()
  .max(16_384)
  .regex(/^-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----$/, "a PEM certificate (-----BEGIN CERTIFICATE----- …)");

/** A SAML entity ID (a URI, often the metadata URL). */
export const SamlEntityId = z.string().trim().min(1).max(1024).regex(/^\S+$/, "an entity ID without spaces");

/** A SAML provider's settings, as stored and returned (never the SP's private key). */
export const SamlSettings = SsoAccessSettings.extend({
  idpEntityId: SamlEntityId,
  /** The IdP's single sign-on service, HTTP-Redirect binding. */
  idpSsoUrl: SamlUrl,
  /** The IdP's single logout service (HTTP-Redirect binding); null: no single logout. */
  idpSloUrl: SamlUrl.nullable().default(null),
  /** The IdP's signing certificates: one, or two while the IdP rolls its key over. */
  idpCertificates: z.array(PemCertificate).min(1).max(2),
  attributes: SamlAttributes.default({ subject: null, username: "username", email: "email", name: "displayName", groups: "groups" }),
});
export type SamlSettings = z.infer<typeof SamlSettings>;

/** The client secret: a string to set it, null for a public client (PKCE only), absent to keep the stored one. */
const ClientSecret = z.string().min(1).max(1024).nullable().optional();

/** The IdP's metadata XML (EntityDescriptor), pasted by an admin: its entity ID, endpoints and signing certificates are read from it. */
const IdpMetadataXml = z.string().min(1).max(200_000);

const CreateOidcProvider = OidcSettings.extend({ kind: z.literal("oidc").default("oidc"), clientSecret: ClientSecret });
/** A SAML provider: the IdP's fields, or its metadata (`idpMetadataXml`; fields sent beside it win). */
const CreateSamlProvider = SamlSettings.extend({
  kind: z.literal("saml"),
  idpEntityId: SamlEntityId.optional(),
  idpSsoUrl: SamlUrl.optional(),
  idpSloUrl: SamlUrl.nullable().optional(),
  idpCertificates: z.array(PemCertificate).min(1).max(2).optional(),
  idpMetadataXml: IdpMetadataXml.optional(),
});

/** What an admin sends to add a provider (`kind` "oidc" when absent). */
export const CreateSsoProvider = z.discriminatedUnion("kind", [CreateOidcProvider, CreateSamlProvider]);
export type CreateSsoProvider = z.input<typeof CreateSsoProvider>;

const CommonUpdate = {
  name: DisplayName.optional(),
  enabled: z.boolean().optional(),
  roleMapping: RoleMapping.optional(),
  channelMapping: ChannelMapping.optional(),
  defaultRole: DefaultRole.optional(),
  jit: z.boolean().optional(),
  linkByVerifiedEmail: z.boolean().optional(),
  enforce: z.boolean().optional(),
  localAdminsWhenDown: z.boolean().optional(),
};

/**
 * What an admin sends to change a provider: any of the fields; absent ones keep their value
 * (no defaults here). Send `clientSecret` again when `issuer` or `clientId` change. A SAML
 * provider's change carries `kind: "saml"`; the kind of a provider never changes.
 */
export const UpdateSsoProvider = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("oidc").optional(),
    ...CommonUpdate,
    issuer: IssuerUrl.optional(),
    clientId: ClientId.optional(),
    scopes: Scopes.optional(),
    claims: z.object({ username: ClaimName.optional(), email: ClaimName.optional(), name: ClaimName.optional(), groups: ClaimName.optional() }).optional(),
    idTokenSigningAlg: IdTokenAlg.optional(),
    clientSecret: ClientSecret,
  }),
  z.object({
    kind: z.literal("saml"),
    ...CommonUpdate,
    idpEntityId: SamlEntityId.optional(),
    idpSsoUrl: SamlUrl.optional(),
    idpSloUrl: SamlUrl.nullable().optional(),
    idpCertificates: z.array(PemCertificate).min(1).max(2).optional(),
    attributes: z
      .object({
        subject: SamlAttributeName.nullable().optional(),
        username: SamlAttributeName.optional(),
        email: SamlAttributeName.optional(),
        name: SamlAttributeName.optional(),
        groups: SamlAttributeName.optional(),
      })
      .optional(),
    idpMetadataXml: IdpMetadataXml.optional(),
  }),
]);
export type UpdateSsoProvider = z.input<typeof UpdateSsoProvider>;

const OidcProvider = OidcSettings.extend({
  id: Id,
  kind: z.literal("oidc"),
  /** Whether a client secret is stored (it is never returned). */
  clientSecretSet: z.boolean(),
  /** Register at the IdP as the client's redirect URI (shared by the org's providers). */
  redirectUri: z.string(),
  /** Register at the IdP as the post-logout redirect URI. */
  postLogoutRedirectUri: z.string(),
  /** Register at the IdP as the back-channel logout URI (with "session required"). */
  backchannelLogoutUri: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const SamlProvider = SamlSettings.extend({
  id: Id,
  kind: z.literal("saml"),
  /** Parley's entity ID at the IdP (the SP metadata URL). */
  spEntityId: z.string(),
  /** The assertion consumer service (HTTP-POST binding). */
  acsUrl: z.string(),
  /** The single logout service (HTTP-Redirect and HTTP-POST bindings). */
  sloUrl: z.string(),
  /** The SP metadata (public): what the IdP imports. */
  metadataUrl: z.string(),
  /** The SP's signing certificate (PEM; the private key never leaves the server). */
  spCertificate: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

/** A provider as admins see it: its settings and what to register at the IdP. */
export const SsoProvider = z.discriminatedUnion("kind", [OidcProvider, SamlProvider]);
export type SsoProvider = z.infer<typeof SsoProvider>;

/** A provider as the sign-in screen shows it. */
export const SsoProviderButton = z.object({ id: Id, name: z.string() });
export type SsoProviderButton = z.infer<typeof SsoProviderButton>;

/** What a provider test found (OIDC: discovery; SAML: certificates and the SSO URL; nothing is changed). */
export const SsoTestResult = z.object({
  ok: z.boolean(),
  /** The step that failed, or `done`. */
  stage: z.enum(["discovery", "metadata", "jwks", "certificates", "sso_url", "done"]),
  message: z.string(),
  /** What OIDC discovery returned, when it did (null for SAML). */
  metadata: z
    .object({
      issuer: z.string(),
      authorizationEndpoint: z.string().nullable(),
      tokenEndpoint: z.string().nullable(),
      endSessionEndpoint: z.string().nullable(),
      backchannelLogoutSupported: z.boolean(),
      idTokenSigningAlgs: z.array(z.string()),
    })
    .nullable(),
});
export type SsoTestResult = z.infer<typeof SsoTestResult>;

const IdParams = z.object({ id: Id });

export const ssoRoutes = {
  listSsoProviders: route({
    method: "GET",
    path: "/sso/providers",
    tag: "sso",
    auth: "user",
    summary: "The org's single sign-on providers (owners and admins; never a client secret)",
    response: z.object({ providers: z.array(SsoProvider) }),
    noStore: true,
  }),
  createSsoProvider: route({
    method: "POST",
    path: "/sso/providers",
    tag: "sso",
    auth: "user",
    status: 201,
    summary: "Add an OpenID Connect or SAML 2.0 provider (owners and admins; owners for mappings that grant owner or admin and for linking by email)",
    body: CreateSsoProvider,
    response: SsoProvider,
    noStore: true,
  }),
  updateSsoProvider: route({
    method: "PATCH",
    path: "/sso/providers/:id",
    tag: "sso",
    auth: "user",
    summary: "Change a provider (send clientSecret again when the issuer or client id change)",
    params: IdParams,
    body: UpdateSsoProvider,
    response: SsoProvider,
    noStore: true,
  }),
  deleteSsoProvider: route({
    method: "DELETE",
    path: "/sso/providers/:id",
    tag: "sso",
    auth: "user",
    summary: "Remove a provider: its links to accounts go; accounts and sessions stay",
    params: IdParams,
    response: null,
  }),
  testSsoProvider: route({
    method: "POST",
    path: "/sso/providers/:id/test",
    tag: "sso",
    auth: "user",
    summary: "Try the provider: discovery, its metadata and signing keys. Never changes anything",
    params: IdParams,
    response: SsoTestResult,
    noStore: true,
  }),
  ssoProviders: route({
    method: "GET",
    path: "/auth/sso/providers",
    tag: "auth",
    auth: "none",
    summary: "The enabled single sign-on providers of an org, for the sign-in screen (an unknown org has none)",
    query: z.object({ org: Slug }),
    response: z.object({ providers: z.array(SsoProviderButton) }),
  }),
  completeSso: route({
    method: "POST",
    path: "/auth/sso/complete",
    tag: "auth",
    auth: "none",
    summary:
      "Finish a single sign-on: the one-time code the server put in the web app's /sso#code= fragment, from the browser that started the sign-in; registers or reuses a device",
    body: z.object({
      code: z.string().min(16).max(128),
      /** Overrides the device name given at the start. */
      deviceName: DeviceName.optional(),
      /** Reuse an existing, unrevoked device of this user instead of registering a new one. */
      deviceId: Id.optional(),
    }),
    response: AuthTokens,
    errors: ["sso_failed", "login_throttled"],
    noStore: true,
  }),
  ssoLogoutUrl: route({
    method: "GET",
    path: "/auth/sso/logout-url",
    tag: "auth",
    auth: "user",
    summary:
      "Where to send the browser after signing out of a session that came from single sign-on (the IdP's end-session URL, RP-initiated logout); null for other sessions or when the IdP has none",
    response: z.object({ url: z.string().nullable() }),
  }),
} as const;
