/**
 * The sign-in screen's "Sign in with …" links: once the organisation is typed (a moment after
 * the last keystroke), the org's single sign-on providers, each a full-page navigation to the
 * server's start endpoint (and on to the IdP).
 */
import { useEffect, useState } from "react";
import type { SsoProviderButton } from "@parley/protocol";
import { ssoButtons, ssoStartUrl } from "./sso-links.ts";
import "./sso.css";

export function SsoButtons(props: { org: string; deviceName: string }) {
  const [providers, setProviders] = useState<SsoProviderButton[]>([]);
  const org = props.org.trim().toLowerCase();
  useEffect(() => {
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      ssoButtons(org, ctl.signal).then(setProviders, () => setProviders([]));
    }, 300);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [org]);
  if (!providers.length) return null;
  return (
    <nav className="sso-buttons" aria-label="Single sign-on">
      <p className="sso-or muted">or</p>
      {providers.map((p) => (
        <a key={p.id} className="button-like sso-button" href={ssoStartUrl(p.id, props.deviceName)}>
          Sign in with {p.name}
        </a>
      ))}
    </nav>
  );
}
