/**
 * @parley/protocol — the wire contract shared by server and clients: REST
 * routes, WebSocket frames, error codes and the API version. No I/O.
 */
export * from "./errors.ts";
export * from "./version.ts";
export * from "./limits.ts";
export * from "./models.ts";
export * from "./route.ts";
export * from "./routes.ts";
export * from "./account-routes.ts";
export * from "./mfa-routes.ts";
export * from "./edit-routes.ts";
export * from "./passkey-routes.ts";
export * from "./session-routes.ts";
export * from "./api-key-routes.ts";
export * from "./oauth-routes.ts";
export * from "./access-routes.ts";
export * from "./operator-routes.ts";
export * from "./channel-routes.ts";
export * from "./pin-routes.ts";
export * from "./command-routes.ts";
export * from "./integration-routes.ts";
export * from "./inbox-routes.ts";
export * from "./personal-routes.ts";
export * from "./emoji-routes.ts";
export * from "./e2ee-routes.ts";
export * from "./e2ee-models.ts";
export * from "./file-routes.ts";
export * from "./mls-routes.ts";
export * from "./mls-models.ts";
export * from "./audit-routes.ts";
export * from "./compliance-routes.ts";
export * from "./archive-routes.ts";
export * from "./gdpr-routes.ts";
export * from "./notification-routes.ts";
export * from "./ice-routes.ts";
export * from "./notify-rule.ts";
export * from "./locker-routes.ts";
export * from "./approval-routes.ts";
export * from "./scim-routes.ts";
export * from "./ldap-routes.ts";
export * from "./sso-routes.ts";
export * from "./frames.ts";
export * from "./archive-copy.ts";
export * from "./openapi.ts";
export * from "./profile-models.ts";
export * from "./profile-routes.ts";
