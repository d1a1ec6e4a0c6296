/**
 * Admin console → Single sign-on: the org's OpenID Connect and SAML providers, with their
 * state, a test (changes nothing), removal, and the forms to add or edit one
 * (sso-provider-form.tsx, saml-provider-form.tsx). A SAML provider shows what to enter at
 * the IdP (entity ID, ACS URL, metadata URL) under its row.
 */
import { useCallback, useEffect, useState } from "react";
import type { SsoProvider, SsoTestResult } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { SsoProviderForm } from "./sso-provider-form.tsx";
import { SamlProviderForm } from "./saml-provider-form.tsx";
import { SamlSpUrls } from "./saml-sp-urls.tsx";
import "./sso.css";

export function SsoAdminTab() {
  const chat = useChat();
  const api = chat.client.api;
  const [providers, setProviders] = useState<SsoProvider[]>();
  const [editing, setEditing] = useState<SsoProvider | "new-oidc" | "new-saml">();
  const [tested, setTested] = useState<{ id: string; result: SsoTestResult }>();
  const [error, setError] = useState<string>();
  const [removing, setRemoving] = useState<SsoProvider>();
  const load = useCallback(
    () =>
      api.call("listSsoProviders").then(
        (r) => setProviders(r.providers),
        (err: unknown) => setError(describeError(err)),
      ),
    [api],
  );
  useEffect(() => {
    void load();
  }, [load]);

  async function test(p: SsoProvider) {
    setError(undefined);
    setTested(undefined);
    try {
      setTested({ id: p.id, result: await api.call("testSsoProvider", { params: { id: p.id } }) });
    } catch (err) {
      setError(describeError(err));
    }
  }

  async function remove(p: SsoProvider) {
    await api.call("deleteSsoProvider", { params: { id: p.id } });
    setRemoving(undefined);
    await load();
  }

  const done = async () => {
    setEditing(undefined);
    await load();
  };
  if (editing === "new-saml" || (typeof editing === "object" && editing.kind === "saml"))
    return <SamlProviderForm provider={editing === "new-saml" ? undefined : editing} onDone={done} onCancel={() => setEditing(undefined)} />;
  if (editing) return <SsoProviderForm provider={editing === "new-oidc" ? undefined : editing} onDone={done} onCancel={() => setEditing(undefined)} />;
  return (
    <div className="settings-form sso-admin">
      <h2>Single sign-on</h2>
      <p className="note">
        People of {chat.org.name} sign in through your identity provider (OpenID Connect or SAML 2.0: Keycloak, Okta, Entra ID…) with its own multi-factor
        authentication. Each provider shows on the sign-in screen as “Sign in with …”. Parley's identity guide (docs/identity.md) shows how to set up each.
      </p>
      <FormError error={error} />
      {providers === undefined ? (
        <p className="muted">Loading…</p>
      ) : providers.length === 0 ? (
        <p className="muted">No single sign-on provider yet.</p>
      ) : (
        <table className="table" aria-label="Single sign-on providers">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Identity provider</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {providers.map((p) => [
              <tr key={p.id} className={p.enabled ? "" : "inactive"}>
                <td>{p.name}</td>
                <td className="mono">
                  {p.kind === "saml" ? "SAML · " : "OIDC · "}
                  {p.kind === "saml" ? p.idpEntityId : p.issuer}
                </td>
                <td>
                  {p.enabled ? "Enabled" : "Disabled"}
                  {p.enforce ? " · only single sign-on" : ""}
                </td>
                <td className="row-actions">
                  <button type="button" onClick={() => setEditing(p)}>
                    Edit
                  </button>
                  <button type="button" onClick={() => void test(p)}>
                    Test
                  </button>
                  <button type="button" onClick={() => setRemoving(p)} aria-label={`Remove ${p.name}`}>
                    Remove
                  </button>
                </td>
              </tr>,
              p.kind === "saml" ? (
                <tr key={`${p.id}-urls`} className="sp-urls">
                  <td colSpan={4}>
                    <SamlSpUrls provider={p} />
                  </td>
                </tr>
              ) : null,
            ])}
          </tbody>
        </table>
      )}
      {tested ? <TestResult result={tested.result} name={providers?.find((p) => p.id === tested.id)?.name ?? ""} /> : null}
      {removing ? (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          confirmLabel="Remove provider"
          busyLabel="Removing…"
          onConfirm={() => remove(removing)}
          onClose={() => setRemoving(undefined)}
        >
          <p>Nobody signs in with {removing.name} any more. The accounts it created stay and can be given a password by an admin (Reset password).</p>
        </ConfirmDialog>
      ) : null}
      <div className="form-actions">
        <button type="button" className="primary" onClick={() => setEditing("new-oidc")}>
          Add OpenID Connect provider
        </button>
        <button type="button" onClick={() => setEditing("new-saml")}>
          Add SAML provider
        </button>
      </div>
    </div>
  );
}

function TestResult(props: { name: string; result: SsoTestResult }) {
  const r = props.result;
  return (
    <div className="test-result" role="status">
      <strong className={r.ok ? "result-success" : "result-failure"}>
        {props.name}: {r.ok ? "works" : `failed at ${r.stage}`}
      </strong>{" "}
      — {r.message}
      {r.metadata ? (
        <div className="muted small">
          End session: {r.metadata.endSessionEndpoint ?? "none"} · back-channel logout: {r.metadata.backchannelLogoutSupported ? "supported" : "not supported"}{" "}
          · ID token algorithms: {r.metadata.idTokenSigningAlgs.join(", ") || "not listed"}
        </div>
      ) : null}
    </div>
  );
}
