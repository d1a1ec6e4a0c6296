/**
 * A provider row as the rest of the module uses it: its settings (the stored JSON checked
 * against the protocol schema), its client secret opened from platform/kms, the URLs to
 * register at the IdP, and the admin's view of it (never the secret).
 */
import { OidcSettings as OidcSettingsSchema, type OidcSettings, type SsoProvider } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import type { SsoProvidersTable } from "../../platform/db/tables.ts";

/** The callback path of every OIDC provider (the state says which provider a callback is for). */
export const CALLBACK_PATH = "/auth/sso/oidc/callback";
export const BACKCHANNEL_PATH = "/auth/sso/oidc/backchannel";
/** Where the browser lands after a sign-in, with `#code=` or `#error=`: the web app's /sso page. */
export const WEB_LANDING_PATH = "/sso";

/** A provider ready for a sign-in. */
export interface Provider {
  id: string;
  orgId: string;
  name: string;
  enabled: boolean;
  settings: OidcSettings;
  /** Opened lazily: only the token endpoint needs it. */
  clientSecret(): Promise<string | null>;
}

export const secretContext = (providerId: string) => `sso-client-secret:${providerId}`;

/** The stored settings, or undefined when they no longer parse (logged: the provider then does not work). */
export function settingsOf(deps: Deps, row: Pick<SsoProvidersTable, "id" | "org_id" | "settings">): OidcSettings | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(row.settings);
  } catch {
    raw = undefined;
  }
  const parsed = OidcSettingsSchema.safeParse(raw);
  if (!parsed.success)
    deps.log.error(
      { module: "sso", orgId: row.org_id, providerId: row.id },
      "stored SSO provider settings do not parse; it is off until an admin saves it again",
    );
  return parsed.success ? parsed.data : undefined;
}

/** The row as a Provider, or undefined when its settings are broken. */
export function providerOf(deps: Deps, row: SsoProvidersTable): Provider | undefined {
  const settings = settingsOf(deps, row);
  if (!settings) return undefined;
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    enabled: row.enabled === 1 && settings.enabled,
    settings,
    clientSecret: async () => (row.client_secret === null ? null : new TextDecoder().decode(await deps.kms.open(row.client_secret, secretContext(row.id)))),
  };
}

/** The URLs an admin registers at the IdP. */
export function registeredUrls(deps: Deps): { redirectUri: string; postLogoutRedirectUri: string; backchannelLogoutUri: string } {
  const base = deps.publicUrl.get();
  return { redirectUri: base + CALLBACK_PATH, postLogoutRedirectUri: `${base}/`, backchannelLogoutUri: base + BACKCHANNEL_PATH };
}

/** The admin's view of a provider. */
export function toSsoProvider(deps: Deps, row: SsoProvidersTable): SsoProvider | undefined {
  const settings = settingsOf(deps, row);
  if (!settings) return undefined;
  return {
    ...settings,
    name: row.name,
    enabled: row.enabled === 1,
    id: row.id,
    kind: "oidc",
    clientSecretSet: row.client_secret !== null,
    ...registeredUrls(deps),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
