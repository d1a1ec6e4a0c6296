/**
 * Admin console → Single sign-on: the org's OpenID Connect providers, with their state, a
 * test (discovery: changes nothing), removal, and the form to add or edit one
 * (sso-provider-form.tsx). The URLs to register at the IdP are shown with each provider.
 */
import { useCallback, useEffect, useState } from "react";
import type { SsoProvider, SsoTestResult } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { SsoProviderForm } from "./sso-provider-form.tsx";
import "./sso.css";

export function SsoAdminTab() {
  const chat = useChat();
  const api = chat.client.api;
  const [providers, setProviders] = useState<SsoProvider[]>();
  const [editing, setEditing] = useState<SsoProvider | "new">();
  const [tested, setTested] = useState<{ id: string; result: SsoTestResult }>();
  const [error, setError] = useState<string>();
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
    if (!confirm(`Remove ${p.name}? Accounts it created stay, but nobody signs in with it any more.`)) return;
    try {
      await api.call("deleteSsoProvider", { params: { id: p.id } });
      await load();
    } catch (err) {
      setError(describeError(err));
    }
  }

  if (editing)
    return (
      <SsoProviderForm
        provider={editing === "new" ? undefined : editing}
        onDone={async () => {
          setEditing(undefined);
          await load();
        }}
        onCancel={() => setEditing(undefined)}
      />
    );
  return (
    <div className="settings-form sso-admin">
      <h2>Single sign-on</h2>
      <p className="note">
        People of {chat.org.name} sign in through your identity provider (OpenID Connect: Keycloak, Okta, Entra ID…) with its own multi-factor authentication.
        Each provider shows on the sign-in screen as “Sign in with …”. Parley's identity guide (docs/identity.md) shows how to set up each.
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
              <th scope="col">Issuer</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {providers.map((p) => (
              <tr key={p.id} className={p.enabled ? "" : "inactive"}>
                <td>{p.name}</td>
                <td className="mono">{p.issuer}</td>
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
                  <button type="button" onClick={() => void remove(p)}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {tested ? <TestResult result={tested.result} name={providers?.find((p) => p.id === tested.id)?.name ?? ""} /> : null}
      <div className="form-actions">
        <button type="button" className="primary" onClick={() => setEditing("new")}>
          Add OpenID Connect provider
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
