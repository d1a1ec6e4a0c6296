/**
 * An org's SSO providers, for owners and admins (`org.manage_security`): list, add, change,
 * remove, and test (discovery; changes nothing). The client secret is sealed through
 * platform/kms and never returned or logged; a stored secret is only reused with the issuer
 * and client id it was entered for.
 *
 * Who may save what: owners only (`org.manage_admins`) when the role mapping grants owner or
 * admin, when the provider links accounts by email (it could then sign in as any account,
 * an owner's included), or when owner or admin accounts are already linked to it — whoever
 * controls the IdP controls the accounts it signs in. An admin may not enforce single
 * sign-on that would lock themselves out: enforcing needs the admin's own account linked.
 *
 * A SAML provider gets its own SP signing key pair when it is added (the private key sealed
 * like a client secret, the certificate published in its SP metadata); its IdP settings come
 * from the fields or from the IdP's pasted metadata XML (fields sent beside it win).
 */
import {
  CreateSsoProvider as CreateSchema,
  OidcSettings as OidcSchema,
  SamlSettings as SamlSchema,
  UpdateSsoProvider as UpdateSchema,
  type CreateSsoProvider,
  type OidcSettings,
  type SamlSettings,
  type SsoProvider,
  type SsoTestResult,
  type UpdateSsoProvider,
} from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { SsoProvidersTable } from "../../platform/db/tables.ts";
import { runCommand } from "../../command.ts";
import { actorRef } from "../../core/actor.ts";
import { AppError, badRequest, notFound } from "../../core/errors.ts";
import { validated } from "../../core/validate.ts";
import { newId } from "../../platform/ids.ts";
import { authorize, channelResourceOf } from "../access/authorize.ts";
import { findChannel, findMembership } from "../channels/store.ts";
import { grantsPrivilege } from "./mapping.ts";
import { discover, httpAllowed, IdpUnavailable, SsoCheckFailed } from "./oidc.ts";
import { certificateProblem, probe } from "./saml.ts";
import { makeSigningKeyPair } from "./saml-cert.ts";
import { MetadataUnreadable, parseIdpMetadata } from "./saml-metadata.ts";
import { providerOf, samlKeyContext, samlUrls, secretContext, settingsOf, toSsoProvider, type OidcProvider } from "./settings.ts";
import { findIdentityOfUser, getProviderRow, hasPrivilegedIdentity, listProviderRows } from "./store.ts";

const org = (p: Actor) => ({ type: "org" as const, orgId: p.orgId });

function view(deps: Deps, row: SsoProvidersTable): SsoProvider {
  const v = toSsoProvider(deps, row);
  if (!v) throw new AppError("internal", "the provider's stored settings are broken; save it again");
  return v;
}

export async function listSsoProviders(deps: Deps, p: Actor): Promise<{ providers: SsoProvider[] }> {
  authorize(p, "org.manage_security", org(p));
  const rows = await listProviderRows(deps.db, p.orgId);
  return { providers: rows.map((r) => toSsoProvider(deps, r)).filter((v): v is SsoProvider => v !== undefined) };
}

type Settings = ({ kind: "oidc" } & OidcSettings) | ({ kind: "saml" } & SamlSettings);

const HTTPS_ONLY = "use https:// (plain http is allowed for 127.0.0.1 and localhost only)";

/** Checks the schema cannot make: URL schemes on this server, certificates in date, mapped channels, who may save it. */
async function checkSettings(deps: Deps, q: Db | Tx, p: Actor, s: Settings, providerId: string | null): Promise<void> {
  const issues: Array<{ path: Array<string | number>; message: string }> = [];
  if (s.kind === "oidc" && !httpAllowed(deps, new URL(s.issuer))) issues.push({ path: ["issuer"], message: HTTPS_ONLY });
  if (s.kind === "saml") {
    if (!httpAllowed(deps, new URL(s.idpSsoUrl))) issues.push({ path: ["idpSsoUrl"], message: HTTPS_ONLY });
    if (s.idpSloUrl !== null && !httpAllowed(deps, new URL(s.idpSloUrl))) issues.push({ path: ["idpSloUrl"], message: HTTPS_ONLY });
    for (const [i, pem] of s.idpCertificates.entries()) {
      const problem = certificateProblem(pem, deps.now());
      if (problem) issues.push({ path: ["idpCertificates", i], message: problem });
    }
  }
  for (const [i, m] of s.channelMapping.entries()) {
    const ch = await findChannel(q, p.orgId, m.channelId);
    // Another org's channel looks like a missing one.
    if (!ch) issues.push({ path: ["channelMapping", i, "channelId"], message: "no such channel" });
    else if (ch.kind === "dm" || ch.kind === "group_dm") issues.push({ path: ["channelMapping", i, "channelId"], message: "DMs cannot be mapped" });
    else if (ch.archived_at !== null) issues.push({ path: ["channelMapping", i, "channelId"], message: "the channel is archived" });
    else if (p.kind === "device") {
      // Whoever maps a group to a channel must be able to invite to it themselves.
      const mine = await findMembership(q, ch.id, p.userId);
      try {
        authorize(p, "channel.invite", { type: "channel", channel: channelResourceOf(ch, mine?.role ?? null) });
      } catch {
        issues.push({ path: ["channelMapping", i, "channelId"], message: ch.kind === "public" ? "you may not invite to this channel" : "no such channel" });
      }
    }
  }
  if (issues.length) {
    throw new AppError("validation_failed", issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), {
      issues: issues.map((i) => ({ ...i, code: "custom" })),
    });
  }
  if (grantsPrivilege(s) || s.linkByVerifiedEmail || (providerId !== null && (await hasPrivilegedIdentity(q, providerId))))
    authorize(p, "org.manage_admins", org(p));
  if (s.enabled && s.enforce && p.kind === "device" && (providerId === null || !(await findIdentityOfUser(q, providerId, p.userId)))) {
    throw badRequest("sign in with this provider once before enforcing it, or you lock yourself out of the password sign-in", { field: "enforce" });
  }
}

const sealSecret = (deps: Deps, orgId: string, providerId: string, secret: string) =>
  deps.kms.seal(new TextEncoder().encode(secret), secretContext(providerId), { orgId });

/** Settings with what changed, for the audit entry (names only, never values). */
function changedFields<S extends object>(prev: S | undefined, next: S): string[] {
  if (!prev) return Object.keys(next);
  return (Object.keys(next) as Array<keyof S>).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(prev[k])).map(String);
}

/** A SAML provider's full settings: the pasted metadata's values under the fields sent. */
function samlSettings(base: Record<string, unknown>, metadataXml: string | undefined): SamlSettings {
  let fromMetadata = {};
  if (metadataXml !== undefined) {
    try {
      fromMetadata = parseIdpMetadata(metadataXml);
    } catch (err) {
      if (!(err instanceof MetadataUnreadable)) throw err;
      throw new AppError("validation_failed", `idpMetadataXml: ${err.message}`, {
        issues: [{ path: ["idpMetadataXml"], message: err.message, code: "custom" }],
      });
    }
  }
  const defined = Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined));
  return validated(SamlSchema, { ...fromMetadata, ...defined });
}

export async function createSsoProvider(deps: Deps, p: Actor, raw: CreateSsoProvider): Promise<SsoProvider> {
  authorize(p, "org.manage_security", org(p));
  const body = validated(CreateSchema, raw);
  if (body.kind === "saml") return createSamlProvider(deps, p, body);
  const { kind: _kind, clientSecret, ...settings } = body;
  await checkSettings(deps, deps.db, p, { kind: "oidc", ...settings }, null);
  const id = newId("idp");
  const sealed = clientSecret ? await sealSecret(deps, p.orgId, id, clientSecret) : null;
  return insertProvider(
    deps,
    p,
    id,
    "oidc",
    settings,
    { client_secret: sealed },
    {
      issuer: settings.issuer,
      secretSet: sealed !== null,
    },
  );
}

/** Store a new provider (its sealed secrets by kind), audited with what it is; its view. */
async function insertProvider(
  deps: Deps,
  p: Actor,
  id: string,
  kind: "oidc" | "saml",
  settings: { name: string; enabled: boolean; enforce: boolean; jit: boolean },
  secrets: Pick<SsoProvidersTable, "client_secret"> & Partial<Pick<SsoProvidersTable, "sp_private_key" | "sp_certificate">>,
  details: Record<string, string | boolean>,
): Promise<SsoProvider> {
  const now = deps.now();
  await runCommand(deps, p, "sso.createProvider", async (tx, fx) => {
    await tx
      .insertInto("sso_providers")
      .values({
        id,
        org_id: p.orgId,
        kind,
        name: settings.name,
        enabled: settings.enabled ? 1 : 0,
        settings: JSON.stringify(settings),
        ...secrets,
        created_by: actorRef(p),
        created_at: now,
        updated_by: actorRef(p),
        updated_at: now,
      })
      .execute();
    fx.audit({
      action: "org.sso.provider.created",
      target: { kind: "sso_provider", id },
      result: "success",
      details: { kind, ...details, enabled: settings.enabled, enforce: settings.enforce, jit: settings.jit },
    });
  });
  return view(deps, (await getProviderRow(deps.db, p.orgId, id))!);
}

async function createSamlProvider(deps: Deps, p: Actor, body: Extract<ReturnType<typeof CreateSchema.parse>, { kind: "saml" }>): Promise<SsoProvider> {
  const { kind: _kind, idpMetadataXml, ...fields } = body;
  const settings = samlSettings(fields, idpMetadataXml);
  await checkSettings(deps, deps.db, p, { kind: "saml", ...settings }, null);
  const id = newId("idp");
  const keys = makeSigningKeyPair(`Parley SP ${samlUrls(deps, id).spEntityId}`);
  const sealedKey = await deps.kms.seal(new TextEncoder().encode(keys.privateKey), samlKeyContext(id), { orgId: p.orgId });
  return insertProvider(
    deps,
    p,
    id,
    "saml",
    settings,
    { client_secret: null, sp_private_key: sealedKey, sp_certificate: keys.certificate },
    { idpEntityId: settings.idpEntityId, fromMetadata: idpMetadataXml !== undefined },
  );
}

async function loadRow(deps: Deps, p: Actor, id: string): Promise<SsoProvidersTable> {
  const row = await getProviderRow(deps.db, p.orgId, id);
  if (!row) throw notFound("SSO provider");
  return row;
}

export async function updateSsoProvider(deps: Deps, p: Actor, id: string, raw: UpdateSsoProvider): Promise<SsoProvider> {
  authorize(p, "org.manage_security", org(p));
  const body = validated(UpdateSchema, raw);
  const row = await loadRow(deps, p, id);
  if ((body.kind ?? "oidc") !== row.kind)
    throw badRequest(`this is a${row.kind === "saml" ? " SAML" : "n OIDC"} provider: send kind "${row.kind}"`, { field: "kind" });
  if (body.kind === "saml") return updateSamlProvider(deps, p, row, body);
  if (body.kind !== undefined && body.kind !== "oidc") throw new Error("unreachable");
  const { clientSecret, claims, kind: _kind, ...patch } = body;
  const prev = settingsOf(deps, { ...row, kind: "oidc" });
  if (!prev && (patch.issuer === undefined || patch.clientId === undefined || patch.name === undefined)) {
    throw badRequest("the stored settings are broken: send name, issuer and clientId with the rest");
  }
  const base: OidcSettings = prev ?? validated(OidcSchema, { name: patch.name, issuer: patch.issuer, clientId: patch.clientId });
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<OidcSettings>;
  const next: OidcSettings = {
    ...base,
    ...defined,
    claims: { ...base.claims, ...Object.fromEntries(Object.entries(claims ?? {}).filter(([, v]) => v !== undefined)) },
  };
  await checkSettings(deps, deps.db, p, { kind: "oidc", ...next }, id);
  // A stored secret only ever goes to the IdP and client it was entered for.
  const sameClient = prev !== undefined && prev.issuer === next.issuer && prev.clientId === next.clientId;
  if (clientSecret === undefined && row.client_secret !== null && !sameClient) {
    throw badRequest("send clientSecret again (or null for a public client): the issuer or client id changed", { field: "clientSecret" });
  }
  const sealed = clientSecret === undefined ? row.client_secret : clientSecret === null ? null : await sealSecret(deps, p.orgId, id, clientSecret);
  await runCommand(deps, p, "sso.updateProvider", async (tx, fx) => {
    await tx
      .updateTable("sso_providers")
      .set({
        name: next.name,
        enabled: next.enabled ? 1 : 0,
        settings: JSON.stringify(next),
        client_secret: sealed,
        updated_by: actorRef(p),
        updated_at: deps.now(),
      })
      .where("id", "=", id)
      .where("org_id", "=", p.orgId)
      .execute();
    fx.audit({
      action: "org.sso.provider.changed",
      target: { kind: "sso_provider", id },
      result: "success",
      details: { changed: changedFields(prev, next), secretChanged: clientSecret !== undefined, enabled: next.enabled },
    });
  });
  return view(deps, await loadRow(deps, p, id));
}

async function updateSamlProvider(
  deps: Deps,
  p: Actor,
  row: SsoProvidersTable,
  body: Extract<ReturnType<typeof UpdateSchema.parse>, { kind: "saml" }>,
): Promise<SsoProvider> {
  const { kind: _kind, idpMetadataXml, attributes, ...patch } = body;
  const prev = settingsOf(deps, { ...row, kind: "saml" });
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  const next = samlSettings(
    {
      ...(prev ?? {}),
      ...defined,
      attributes: { ...(prev?.attributes ?? {}), ...Object.fromEntries(Object.entries(attributes ?? {}).filter(([, v]) => v !== undefined)) },
      // Values from pasted metadata replace the stored IdP fields (but not the ones sent beside it).
      ...(idpMetadataXml !== undefined
        ? { idpEntityId: patch.idpEntityId, idpSsoUrl: patch.idpSsoUrl, idpSloUrl: patch.idpSloUrl, idpCertificates: patch.idpCertificates }
        : {}),
    },
    idpMetadataXml,
  );
  await checkSettings(deps, deps.db, p, { kind: "saml", ...next }, row.id);
  await runCommand(deps, p, "sso.updateProvider", async (tx, fx) => {
    await tx
      .updateTable("sso_providers")
      .set({ name: next.name, enabled: next.enabled ? 1 : 0, settings: JSON.stringify(next), updated_by: actorRef(p), updated_at: deps.now() })
      .where("id", "=", row.id)
      .where("org_id", "=", p.orgId)
      .execute();
    fx.audit({
      action: "org.sso.provider.changed",
      target: { kind: "sso_provider", id: row.id },
      result: "success",
      details: { changed: changedFields(prev, next), fromMetadata: idpMetadataXml !== undefined, enabled: next.enabled },
    });
  });
  return view(deps, await loadRow(deps, p, row.id));
}

/** Remove a provider: its account links, states, codes and channel grants go; accounts, memberships and sessions stay. */
export async function deleteSsoProvider(deps: Deps, p: Actor, id: string): Promise<void> {
  authorize(p, "org.manage_security", org(p));
  const row = await loadRow(deps, p, id);
  if (await hasPrivilegedIdentity(deps.db, id)) authorize(p, "org.manage_admins", org(p));
  await runCommand(deps, p, "sso.deleteProvider", async (tx, fx) => {
    await tx.deleteFrom("sso_identities").where("provider_id", "=", id).execute();
    await tx.deleteFrom("sso_channel_grants").where("provider_id", "=", id).execute();
    await tx.deleteFrom("sso_states").where("provider_id", "=", id).execute();
    await tx.deleteFrom("sso_codes").where("provider_id", "=", id).execute();
    await tx.deleteFrom("sso_logout_tokens").where("provider_id", "=", id).execute();
    await tx.deleteFrom("sso_saml_replay").where("provider_id", "=", id).execute();
    await tx.deleteFrom("sso_providers").where("id", "=", id).where("org_id", "=", p.orgId).execute();
    fx.audit({ action: "org.sso.provider.deleted", target: { kind: "sso_provider", id }, result: "success", details: { name: row.name } });
  });
}

/** Try the provider: discovery, what its metadata offers, its signing keys. Audited; changes nothing. */
export async function testSsoProvider(deps: Deps, p: Actor, id: string): Promise<SsoTestResult> {
  authorize(p, "org.manage_security", org(p));
  const row = await loadRow(deps, p, id);
  const provider = providerOf(deps, row);
  if (!provider) throw badRequest("the stored settings are broken; save the provider again");
  const result: SsoTestResult =
    provider.kind === "saml" ? { ...(await probe(deps, provider)), metadata: null } : await tryProvider(deps, { ...provider, clientSecret: async () => null }); // discovery sends no secret
  await runCommand(deps, p, "sso.testProvider", async (_tx, fx) =>
    fx.audit({
      action: "org.sso.provider.tested",
      target: { kind: "sso_provider", id },
      result: result.ok ? "success" : "failure",
      details: { stage: result.stage },
    }),
  );
  return result;
}

async function tryProvider(deps: Deps, provider: OidcProvider): Promise<SsoTestResult> {
  let meta;
  try {
    meta = (await discover(deps, provider)).serverMetadata();
  } catch (err) {
    if (err instanceof IdpUnavailable || err instanceof SsoCheckFailed) return { ok: false, stage: "discovery", message: err.message, metadata: null };
    throw err;
  }
  const algs = Array.isArray(meta.id_token_signing_alg_values_supported) ? meta.id_token_signing_alg_values_supported.map(String) : [];
  const metadata = {
    issuer: meta.issuer,
    authorizationEndpoint: meta.authorization_endpoint ?? null,
    tokenEndpoint: meta.token_endpoint ?? null,
    endSessionEndpoint: meta.end_session_endpoint ?? null,
    backchannelLogoutSupported: meta.backchannel_logout_supported === true,
    idTokenSigningAlgs: algs,
  };
  const problems: string[] = [];
  if (!meta.authorization_endpoint || !meta.token_endpoint) problems.push("no authorization or token endpoint");
  if (!meta.jwks_uri) problems.push("no jwks_uri (Parley verifies ID token signatures)");
  const pkce = meta.code_challenge_methods_supported;
  if (Array.isArray(pkce) && !pkce.includes("S256")) problems.push("no PKCE with S256");
  if (algs.length && !algs.includes(provider.settings.idTokenSigningAlg))
    problems.push(`ID tokens are not signed with ${provider.settings.idTokenSigningAlg} (it offers ${algs.join(", ")})`);
  if (problems.length) return { ok: false, stage: "metadata", message: problems.join("; "), metadata };
  try {
    const res = await fetch(meta.jwks_uri!, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { keys?: unknown[] };
    if (!res.ok || !Array.isArray(body.keys) || body.keys.length === 0)
      return { ok: false, stage: "jwks", message: `the JWKS at ${meta.jwks_uri} has no keys`, metadata };
  } catch (err) {
    return { ok: false, stage: "jwks", message: `the JWKS at ${meta.jwks_uri} cannot be read: ${(err as Error).message}`, metadata };
  }
  return { ok: true, stage: "done", message: `discovered ${meta.issuer}`, metadata };
}
