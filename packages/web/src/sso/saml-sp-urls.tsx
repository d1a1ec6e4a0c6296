/** What an admin enters at the IdP for a SAML provider: Parley's entity ID, ACS URL and metadata URL. */
import type { SsoProvider } from "@parley/protocol";

export function SamlSpUrls(props: { provider: Extract<SsoProvider, { kind: "saml" }> }) {
  const p = props.provider;
  return (
    <dl className="urls" aria-label={`${p.name}: what to enter at the identity provider`}>
      <dt>SP entity ID</dt>
      <dd>{p.spEntityId}</dd>
      <dt>ACS URL (HTTP-POST)</dt>
      <dd>{p.acsUrl}</dd>
      <dt>SLO URL</dt>
      <dd>{p.sloUrl}</dd>
      <dt>SP metadata URL</dt>
      <dd>
        <a href={p.metadataUrl} target="_blank" rel="noreferrer">
          {p.metadataUrl}
        </a>
      </dd>
    </dl>
  );
}
