/**
 * The consent step: the web app's page (`/oauth-consent/:uid`) asks what the paused
 * authorization request wants, then answers Allow or Deny. Both calls carry the signed-in
 * user's session (a full one: an API key's or an app's scoped session cannot consent) and the
 * interaction cookie oidc-provider set in that browser (it must name this uid), so only the
 * person who started the flow in that browser, signed in to Parley, can answer it.
 * An app of another org is "not found" to the user: nothing about it is shown or stored.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiKeyScope, OAuthConsentDetails } from "@parley/protocol";
import type { InteractionDetails } from "oidc-provider";
import type { Deps, DeviceActor } from "../../context.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { roleAllows } from "../access/permissions.ts";
import { API_SCOPES, apiResource, oauthProvider } from "./provider.ts";
import { GRANT_TTL_SECONDS, recordConsent, recordDenial } from "./grants.ts";

interface Pending {
  details: InteractionDetails;
  app: { id: string; name: string; scopes: ApiKeyScope[] };
  view: OAuthConsentDetails;
}

async function pending(deps: Deps, p: DeviceActor, uid: string, req: IncomingMessage, res: ServerResponse): Promise<Pending> {
  if (p.scopes) throw new AppError("forbidden", "sign in to the web app as yourself to answer; an API key or app session cannot consent");
  const provider = await oauthProvider(deps);
  let details: InteractionDetails;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    // No interaction cookie in this browser, another browser's, or it expired.
    throw notFound("consent request");
  }
  if (details.uid !== uid) throw notFound("consent request");
  const clientId = details.params.client_id ?? "";
  const app = await deps.db.selectFrom("oauth_apps").selectAll().where("id", "=", clientId).where("deleted_at", "is", null).executeTakeFirst();
  if (!app || app.org_id !== p.orgId) throw notFound("consent request");
  const registered = JSON.parse(app.scopes) as ApiKeyScope[];
  const asked = (details.params.scope ?? "").split(" ").filter((s): s is ApiKeyScope => (API_SCOPES as readonly string[]).includes(s));
  // A request naming no API scope asks for what the app was registered with.
  const requested = asked.length ? asked : registered;
  const withheld = requested.filter((s) => s === "admin" && !roleAllows(p.role, "org.manage_users"));
  const scopes = requested.filter((s) => !withheld.includes(s));
  return {
    details,
    app: { id: app.id, name: app.name, scopes: registered },
    view: { uid: details.uid, app: { id: app.id, name: app.name }, scopes, withheld, redirectUri: details.params.redirect_uri ?? "" },
  };
}

/** What the consent page shows. */
export async function consentDetails(deps: Deps, p: DeviceActor, uid: string, req: IncomingMessage, res: ServerResponse): Promise<OAuthConsentDetails> {
  return (await pending(deps, p, uid, req, res)).view;
}

/** Allow (the grant and its scoped session are stored, audited) or deny; returns where the browser goes next. */
export async function decideConsent(
  deps: Deps,
  p: DeviceActor,
  uid: string,
  req: IncomingMessage,
  res: ServerResponse,
  allow: boolean,
): Promise<{ redirectTo: string }> {
  const { details, app, view } = await pending(deps, p, uid, req, res);
  const provider = await oauthProvider(deps);
  if (!allow) {
    await recordDenial(deps, p, app, view.scopes);
    const redirectTo = await provider.interactionResult(
      req,
      res,
      { error: "access_denied", error_description: "the user denied the request" },
      { mergeWithLastSubmission: false },
    );
    return { redirectTo };
  }
  if (!view.scopes.length) throw new AppError("forbidden", "your role cannot grant any scope this app asks for");
  const grant = new provider.Grant({ accountId: p.userId, clientId: app.id });
  const asked = (details.params.scope ?? "").split(" ");
  if (asked.includes("offline_access")) grant.addOIDCScope("offline_access");
  // The API scopes are in the provider's scope list (so an app asking for one it was not
  // registered with is refused at the authorization endpoint): the grant names them both as
  // the request's scopes and as the API resource's, which the access token carries.
  grant.addOIDCScope(view.scopes.join(" "));
  grant.addResourceScope(apiResource(deps), view.scopes.join(" "));
  const grantId = await grant.save(GRANT_TTL_SECONDS);
  await recordConsent(deps, p, { grantId, app, scopes: view.scopes });
  const redirectTo = await provider.interactionResult(req, res, { login: { accountId: p.userId }, consent: { grantId } }, { mergeWithLastSubmission: false });
  return { redirectTo };
}
