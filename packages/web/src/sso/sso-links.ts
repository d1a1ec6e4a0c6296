/**
 * Single sign-on from the web app's side: which providers an org offers on the sign-in
 * screen, where "Sign in with …" goes (the server's start endpoint, a full-page navigation
 * to the IdP and back), and what the server put in the `/sso#…` fragment it lands on.
 */
import { Slug, type SsoProviderButton } from "@parley/protocol";

/** The org's enabled providers (none for an unknown org, or a name that is not a slug yet). */
export async function ssoButtons(org: string, signal?: AbortSignal): Promise<SsoProviderButton[]> {
  if (!Slug.safeParse(org).success) return [];
  const res = await fetch(`${location.origin}/api/v1/auth/sso/providers?org=${encodeURIComponent(org)}`, { headers: { accept: "application/json" }, signal });
  if (!res.ok) return [];
  return ((await res.json()) as { providers: SsoProviderButton[] }).providers;
}

/** The server endpoint that sends the browser to the IdP; the device name travels with the sign-in. */
export function ssoStartUrl(providerId: string, deviceName: string): string {
  const q = new URLSearchParams();
  if (deviceName.trim()) q.set("deviceName", deviceName.trim());
  const s = q.toString();
  return `/auth/sso/${encodeURIComponent(providerId)}/start${s ? `?${s}` : ""}`;
}

/** What the server put in the landing page's fragment. */
export type SsoLanding = { code: string } | { error: string; reason: string; message: string } | { nothing: true };

export function readLanding(hash: string): SsoLanding {
  const f = new URLSearchParams(hash.replace(/^#/, ""));
  const code = f.get("code");
  if (code) return { code };
  const error = f.get("error");
  if (error) return { error, reason: f.get("reason") ?? "", message: f.get("message") ?? "" };
  return { nothing: true };
}
