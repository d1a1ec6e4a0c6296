/**
 * Adding or editing a SAML 2.0 provider: the IdP from its pasted metadata XML or typed in
 * (entity ID, SSO URL with the HTTP-Redirect binding, SLO URL, one or two signing
 * certificates), the attributes Parley reads, and what it may do to accounts
 * (sso-access-fields.tsx). An existing provider shows what to enter at the IdP: Parley's
 * entity ID, ACS URL and metadata URL.
 */
import { useId, useState, type FormEvent } from "react";
import type { SamlSettings, SsoProvider } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { Field, FormError } from "../components/auth/auth-card.tsx";
import { ACCESS_DEFAULTS, SsoAccessFields } from "./sso-access-fields.tsx";
import { SamlSpUrls } from "./saml-sp-urls.tsx";

type SamlProvider = Extract<SsoProvider, { kind: "saml" }>;

const DEFAULTS: SamlSettings = {
  ...ACCESS_DEFAULTS,
  idpEntityId: "",
  idpSsoUrl: "",
  idpSloUrl: null,
  idpCertificates: [],
  attributes: { subject: null, username: "username", email: "email", name: "displayName", groups: "groups" },
};

function settingsOf(p: SamlProvider): SamlSettings {
  return Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, p[k as keyof SamlSettings]])) as unknown as SamlSettings;
}

const CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

export function SamlProviderForm(props: { provider: SamlProvider | undefined; onDone: () => void | Promise<void>; onCancel: () => void }) {
  const api = useChat().client.api;
  const editing = props.provider;
  const [s, setS] = useState<SamlSettings>(() => (editing ? settingsOf(editing) : DEFAULTS));
  const [mode, setMode] = useState<"metadata" | "fields">(editing ? "fields" : "metadata");
  const [metadataXml, setMetadataXml] = useState("");
  const [certs, setCerts] = useState(() => s.idpCertificates.join("\n"));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const xmlId = useId();
  const certId = useId();
  const set = <K extends keyof SamlSettings>(k: K, v: SamlSettings[K]) => setS((prev) => ({ ...prev, [k]: v }));
  const attr = (k: keyof SamlSettings["attributes"], v: string) => set("attributes", { ...s.attributes, [k]: k === "subject" && v.trim() === "" ? null : v });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const { idpEntityId, idpSsoUrl, idpSloUrl, idpCertificates: _c, ...rest } = s;
    const idp =
      mode === "metadata"
        ? { idpMetadataXml: metadataXml }
        : { idpEntityId, idpSsoUrl, idpSloUrl: idpSloUrl?.trim() ? idpSloUrl : null, idpCertificates: certs.match(CERT) ?? [certs] };
    const body = { kind: "saml" as const, ...rest, ...idp };
    try {
      if (editing) await api.call("updateSsoProvider", { params: { id: editing.id }, body });
      else await api.call("createSsoProvider", { body });
      await props.onDone();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const title = editing ? `Edit ${editing.name}` : "Add SAML provider";
  return (
    <form className="settings-form sso-admin" onSubmit={submit} aria-label={title} noValidate>
      <h2>{title}</h2>
      {editing ? (
        <SamlSpUrls provider={editing} />
      ) : (
        <p className="note">
          Once added, Parley shows its entity ID, ACS URL and metadata URL to enter at your identity provider (or import the metadata URL there).
        </p>
      )}
      <Field label="Name on the sign-in screen" name="name" value={s.name} onChange={(v) => set("name", v)} hint="“Sign in with …”" />
      <fieldset>
        <legend>Identity provider</legend>
        <div className="segmented" role="radiogroup" aria-label="How to enter the identity provider">
          <label>
            <input type="radio" name="idpMode" checked={mode === "metadata"} onChange={() => setMode("metadata")} /> Paste its metadata XML
          </label>
          <label>
            <input type="radio" name="idpMode" checked={mode === "fields"} onChange={() => setMode("fields")} /> Enter the fields
          </label>
        </div>
        {mode === "metadata" ? (
          <div className="field">
            <label htmlFor={xmlId}>IdP metadata XML</label>
            <textarea id={xmlId} name="idpMetadataXml" rows={8} value={metadataXml} onChange={(e) => setMetadataXml(e.target.value)} spellCheck={false} />
            <span className="hint">The EntityDescriptor your IdP publishes: Parley reads its entity ID, SSO and SLO URLs and signing certificates.</span>
          </div>
        ) : (
          <>
            <Field label="IdP entity ID" name="idpEntityId" value={s.idpEntityId} onChange={(v) => set("idpEntityId", v)} />
            <Field label="IdP SSO URL (HTTP-Redirect)" name="idpSsoUrl" value={s.idpSsoUrl} onChange={(v) => set("idpSsoUrl", v)} />
            <Field label="IdP SLO URL (optional)" name="idpSloUrl" value={s.idpSloUrl ?? ""} onChange={(v) => set("idpSloUrl", v)} required={false} />
            <div className="field">
              <label htmlFor={certId}>IdP signing certificate(s), PEM</label>
              <textarea id={certId} name="idpCertificates" rows={6} value={certs} onChange={(e) => setCerts(e.target.value)} spellCheck={false} />
              <span className="hint">One, or two while the IdP rolls its key over.</span>
            </div>
          </>
        )}
      </fieldset>
      <fieldset>
        <legend>Attributes</legend>
        <Field
          label="Subject attribute"
          name="attrSubject"
          value={s.attributes.subject ?? ""}
          onChange={(v) => attr("subject", v)}
          required={false}
          hint="Empty: the NameID (use a persistent NameID format)."
        />
        <Field label="Username attribute" name="attrUsername" value={s.attributes.username} onChange={(v) => attr("username", v)} />
        <Field label="Email attribute" name="attrEmail" value={s.attributes.email} onChange={(v) => attr("email", v)} />
        <Field label="Display name attribute" name="attrName" value={s.attributes.name} onChange={(v) => attr("name", v)} />
        <Field label="Groups attribute" name="attrGroups" value={s.attributes.groups} onChange={(v) => attr("groups", v)} />
      </fieldset>
      <SsoAccessFields value={s} set={set} />
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {editing ? "Save provider" : "Add provider"}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
