/** OAuth2 app tables (migration 0038, issue 13): registered apps, users' grants, oidc-provider's storage. */

/** An app an admin registered: a public OAuth2 client (authorization code + PKCE S256) of one org. */
export interface OAuthAppsTable {
  /** Also the OAuth `client_id`. */
  id: string;
  org_id: string;
  name: string;
  /** JSON array of exact redirect URIs. */
  redirect_uris: string;
  /** JSON array of the API scopes the app may ask for (read, write, admin). */
  scopes: string;
  created_by: string;
  created_at: number;
  /** Deleted by an admin (its grants are revoked); kept for the audit trail. */
  deleted_at: number | null;
}

/** A user's consent to an app: the scoped session its access tokens open. */
export interface OAuthGrantsTable {
  /** oidc-provider's grant id. */
  id: string;
  org_id: string;
  app_id: string;
  user_id: string;
  /** JSON array of the granted scopes. */
  scopes: string;
  session_id: string;
  device_id: string;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** oidc-provider's models (AuthorizationCode, AccessToken, RefreshToken, Interaction, Session, Grant, …). */
export interface OAuthStoreTable {
  kind: string;
  /** SHA-256 (hex) of the model's id (for tokens: the token itself). */
  id_hash: string;
  /** The model's JSON payload. */
  payload: string;
  grant_id: string | null;
  uid: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}
