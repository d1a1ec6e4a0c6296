/**
 * `parley sso ...`: the org's single sign-on providers, OpenID Connect and SAML
 * (docs/identity.md): list them with what to register at the identity provider, and test one
 * (OIDC: discovery, metadata, signing keys; SAML: certificates and the SSO URL; nothing changes). Adding and changing providers is
 * done in the web admin console or the API.
 */
import type { SsoProvider, SsoTestResult } from "@parley/protocol";
import type { Api } from "@parley/sdk/node";
import { type Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { table } from "../render.ts";
import { withClient } from "../session.ts";

/** A provider by id or (case-insensitive) name. */
async function findProvider(api: Api, ref: string): Promise<SsoProvider> {
  const { providers } = await api.call("listSsoProviders");
  const byName = providers.filter((p) => p.name.toLowerCase() === ref.toLowerCase());
  const found = providers.find((p) => p.id === ref) ?? (byName.length === 1 ? byName[0] : undefined);
  if (found) return found;
  if (byName.length > 1) throw new CliError("ambiguous", `${byName.length} providers are named "${ref}"`, "name it by id (`parley sso providers`)");
  throw new CliError("not_found", `no single sign-on provider "${ref}" in this organisation`, "list them with `parley sso providers`");
}

function providerLine(p: SsoProvider): string[] {
  const idp = p.kind === "oidc" ? [p.issuer, `client ${p.clientId}`] : [p.idpEntityId, p.idpSsoUrl];
  return [p.id, p.kind.toUpperCase(), p.name, p.enabled ? "enabled" : "disabled", ...idp, p.enforce ? "enforced" : ""];
}

/** What to register at the identity provider. */
function registerLines(p: SsoProvider): string[] {
  return p.kind === "oidc"
    ? [
        `  redirect URI:              ${p.redirectUri}`,
        `  post-logout redirect URI:  ${p.postLogoutRedirectUri}`,
        `  back-channel logout URI:   ${p.backchannelLogoutUri}`,
      ]
    : [
        `  SP metadata:               ${p.metadataUrl}`,
        `  SP entity ID:              ${p.spEntityId}`,
        `  assertion consumer (ACS):  ${p.acsUrl}`,
        `  single logout:             ${p.sloUrl}`,
      ];
}

function testLines(p: SsoProvider, r: SsoTestResult): string[] {
  const m = r.metadata;
  return [
    r.ok ? `${p.name}: ${r.message}` : `${p.name}: failed at ${r.stage}: ${r.message}`,
    ...(m
      ? [
          `  issuer:               ${m.issuer}`,
          `  authorization:        ${m.authorizationEndpoint ?? "(none)"}`,
          `  token:                ${m.tokenEndpoint ?? "(none)"}`,
          `  end session:          ${m.endSessionEndpoint ?? "(none: no RP-initiated logout)"}`,
          `  back-channel logout:  ${m.backchannelLogoutSupported ? "supported" : "not supported"}`,
          `  ID token algorithms:  ${m.idTokenSigningAlgs.join(", ") || "(none listed)"}`,
        ]
      : []),
  ];
}

export const ssoCommands: Command[] = [
  {
    name: ["sso", "providers"],
    usage: "",
    summary: "The org's single sign-on providers and what to register at each (owners and admins; never a secret)",
    async run(ctx) {
      const { providers } = await withClient(ctx, ({ api }) => api.call("listSsoProviders"));
      ctx.out.result({ providers }, () =>
        providers.length
          ? [table(providers.map(providerLine)), ...providers.flatMap((p) => ["", `Register at the identity provider for ${p.name}:`, ...registerLines(p)])]
          : "no single sign-on providers (add one in the web admin console: Admin → Single sign-on)",
      );
    },
  },
  {
    name: ["sso", "test"],
    usage: "PROVIDER",
    summary: "Try a provider (id or name): OIDC discovery and keys, or SAML certificates; exits 1 when a step fails. Changes nothing",
    min: 1,
    async run(ctx) {
      const { provider, result } = await withClient(ctx, async ({ api }) => {
        const provider = await findProvider(api, ctx.args[0]!);
        return { provider, result: await api.call("testSsoProvider", { params: { id: provider.id } }) };
      });
      ctx.out.result({ providerId: provider.id, ...result }, testLines(provider, result));
      return result.ok ? EXIT.ok : EXIT.error;
    },
  },
];
