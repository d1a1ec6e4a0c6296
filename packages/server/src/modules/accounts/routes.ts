/** HTTP handlers of the accounts module: sign-in, tokens, own profile, sessions and devices. */
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "./principal-of.ts";
import { refreshSession } from "./sessions.ts";
import { publishedJwks } from "./tokens.ts";
import { changePassword } from "./password-change.ts";
import { adminResetPassword, checkPasswordReset, completePasswordReset, requestPasswordReset } from "./password-reset.ts";
import { adminSetEmail, changeEmail, verifyEmail } from "./email-address.ts";
import { deleteAvatar, getAvatar, setAvatar } from "./avatar.ts";
import { sendStoredImage } from "../../core/stored-image.ts";
import { getPasswordPolicy, setPasswordPolicy } from "./password-policy.ts";
import { login, mfaPasskeyOptions, passkeySignIn, passkeySignInOptions, verifyMfa } from "./login.ts";
import { getSessionPolicy, setSessionPolicy } from "./session-policy.ts";
import { createApiKey, createServiceAccount, createServiceAccountKey, listApiKeys, listServiceAccounts, revokeApiKey, signInWithApiKey } from "./api-keys.ts";
import { adminListUserSessions, adminRevokeUserSessions } from "../orgs/users.ts";
import { deletePasskey, listPasskeys, passkeyRegistrationOptions, registerPasskey, renamePasskey } from "./passkeys.ts";
import { adminResetMfa, confirmTotp, disableTotp, getMfaStatus, regenerateRecoveryCodes, startTotp } from "./mfa.ts";
import { getMfaPolicy, setMfaPolicy } from "./mfa-policy.ts";
import { hasSecondFactor } from "./mfa-factors.ts";
import { signOutEverywhere, getMe, listMyDevices, listMySessions, logout, renameMyDevice, revokeMyDevice, revokeMySession } from "./me.ts";
import { updateMe } from "./profile.ts";
import { listDirectory } from "./directory.ts";

export const accountsHandlers: ModuleHandlers<
  | "login"
  | "refresh"
  | "logout"
  | "jwks"
  | "me"
  | "updateMe"
  | "listSessions"
  | "revokeSession"
  | "listDevices"
  | "renameDevice"
  | "revokeDevice"
  | "changePassword"
  | "changeEmail"
  | "verifyEmail"
  | "setAvatar"
  | "deleteAvatar"
  | "getAvatar"
  | "requestPasswordReset"
  | "checkPasswordReset"
  | "completePasswordReset"
  | "adminResetPassword"
  | "adminSetEmail"
  | "getPasswordPolicy"
  | "setPasswordPolicy"
  | "verifyMfa"
  | "getMfa"
  | "startTotp"
  | "confirmTotp"
  | "disableTotp"
  | "regenerateRecoveryCodes"
  | "adminResetMfa"
  | "getMfaPolicy"
  | "setMfaPolicy"
  | "passkeyRegistrationOptions"
  | "registerPasskey"
  | "listPasskeys"
  | "renamePasskey"
  | "deletePasskey"
  | "passkeySignInOptions"
  | "passkeySignIn"
  | "mfaPasskeyOptions"
  | "getSessionPolicy"
  | "setSessionPolicy"
  | "signOutEverywhere"
  | "adminListUserSessions"
  | "adminRevokeUserSession"
  | "adminRevokeUserSessions"
  | "signInWithApiKey"
  | "createApiKey"
  | "listMyApiKeys"
  | "revokeMyApiKey"
  | "listApiKeys"
  | "revokeApiKey"
  | "createServiceAccount"
  | "listServiceAccounts"
  | "createServiceAccountKey"
  | "listDirectory"
> = {
  login: ({ body }, { deps, ip }) => login(deps, ip, body),
  refresh: ({ body }, { deps, ip }) => refreshSession(deps, body.refreshToken, ip),
  logout: (_input, ctx) => logout(ctx.deps, principalOf(ctx)),
  jwks: async (_input, { deps }) => ({ keys: publishedJwks(deps.keys, deps.now()) as Array<Record<string, unknown>> }),
  me: (_input, ctx) => getMe(ctx.deps, principalOf(ctx)),
  updateMe: ({ body }, ctx) => updateMe(ctx.deps, principalOf(ctx), body),
  listDirectory: ({ query }, ctx) => listDirectory(ctx.deps, principalOf(ctx), { ...query, includeDeactivated: query.includeDeactivated === "true" }),
  listSessions: async (_input, ctx) => ({ sessions: await listMySessions(ctx.deps, principalOf(ctx)) }),
  revokeSession: ({ params }, ctx) => revokeMySession(ctx.deps, principalOf(ctx), params.id),
  listDevices: async (_input, ctx) => ({ devices: await listMyDevices(ctx.deps, principalOf(ctx)) }),
  renameDevice: ({ params, body }, ctx) => renameMyDevice(ctx.deps, principalOf(ctx), params.id, body.name),
  revokeDevice: ({ params }, ctx) => revokeMyDevice(ctx.deps, principalOf(ctx), params.id),
  changePassword: ({ body }, ctx) => changePassword(ctx.deps, principalOf(ctx), ctx.ip, body),
  changeEmail: ({ body }, ctx) => changeEmail(ctx.deps, principalOf(ctx), ctx.ip, body),
  verifyEmail: ({ body }, { deps, ip }) => verifyEmail(deps, ip, body.token),
  setAvatar: ({ body }, ctx) => setAvatar(ctx.deps, principalOf(ctx), body),
  deleteAvatar: (_input, ctx) => deleteAvatar(ctx.deps, principalOf(ctx)),
  getAvatar: async ({ params }, ctx) => sendStoredImage(ctx.reply, await getAvatar(ctx.deps, principalOf(ctx), params.id)),
  requestPasswordReset: ({ body }, { deps, ip }) => requestPasswordReset(deps, ip, body),
  checkPasswordReset: ({ body }, { deps, ip }) => checkPasswordReset(deps, ip, body.token),
  completePasswordReset: ({ body }, { deps, ip }) => completePasswordReset(deps, ip, body),
  adminResetPassword: ({ params }, ctx) => adminResetPassword(ctx.deps, principalOf(ctx), params.id),
  adminSetEmail: ({ params, body }, ctx) => adminSetEmail(ctx.deps, principalOf(ctx), params.id, body.email),
  getPasswordPolicy: (_input, ctx) => getPasswordPolicy(ctx.deps, principalOf(ctx)),
  setPasswordPolicy: ({ body }, ctx) => setPasswordPolicy(ctx.deps, principalOf(ctx), body),
  verifyMfa: ({ body }, { deps, ip }) => verifyMfa(deps, ip, body),
  getMfa: (_input, ctx) => getMfaStatus(ctx.deps, principalOf(ctx)),
  startTotp: ({ body }, ctx) => startTotp(ctx.deps, principalOf(ctx), ctx.ip, body.currentPassword),
  confirmTotp: ({ body }, ctx) => confirmTotp(ctx.deps, principalOf(ctx), body.code),
  disableTotp: ({ body }, ctx) => disableTotp(ctx.deps, principalOf(ctx), ctx.ip, body),
  regenerateRecoveryCodes: ({ body }, ctx) => regenerateRecoveryCodes(ctx.deps, principalOf(ctx), body.code),
  adminResetMfa: ({ params }, ctx) => adminResetMfa(ctx.deps, principalOf(ctx), params.id),
  getMfaPolicy: (_input, ctx) => getMfaPolicy(ctx.deps, principalOf(ctx)),
  passkeyRegistrationOptions: ({ body }, ctx) => passkeyRegistrationOptions(ctx.deps, principalOf(ctx), ctx.ip, body.currentPassword),
  registerPasskey: ({ body }, ctx) => registerPasskey(ctx.deps, principalOf(ctx), body),
  listPasskeys: async (_input, ctx) => ({ passkeys: await listPasskeys(ctx.deps, principalOf(ctx)) }),
  renamePasskey: ({ params, body }, ctx) => renamePasskey(ctx.deps, principalOf(ctx), params.id, body.name),
  deletePasskey: ({ params }, ctx) => deletePasskey(ctx.deps, principalOf(ctx), params.id),
  passkeySignInOptions: ({ body }, { deps, ip }) => passkeySignInOptions(deps, ip, body.org),
  passkeySignIn: ({ body }, { deps, ip }) => passkeySignIn(deps, ip, body),
  mfaPasskeyOptions: ({ body }, { deps, ip }) => mfaPasskeyOptions(deps, ip, body.mfaToken),
  getSessionPolicy: (_input, ctx) => getSessionPolicy(ctx.deps, principalOf(ctx)),
  setSessionPolicy: ({ body }, ctx) => setSessionPolicy(ctx.deps, principalOf(ctx), body, ctx.ip),
  signOutEverywhere: ({ body }, ctx) => signOutEverywhere(ctx.deps, principalOf(ctx), body.keepCurrent),
  adminListUserSessions: async ({ params }, ctx) => ({ sessions: await adminListUserSessions(ctx.deps, principalOf(ctx), params.id) }),
  adminRevokeUserSession: async ({ params }, ctx) => {
    await adminRevokeUserSessions(ctx.deps, principalOf(ctx), params.id, params.sessionId);
  },
  adminRevokeUserSessions: ({ params }, ctx) => adminRevokeUserSessions(ctx.deps, principalOf(ctx), params.id),
  signInWithApiKey: ({ body }, { deps, ip }) => signInWithApiKey(deps, ip, body),
  createApiKey: ({ body }, ctx) => createApiKey(ctx.deps, principalOf(ctx), body),
  listMyApiKeys: async (_input, ctx) => ({ apiKeys: await listApiKeys(ctx.deps, principalOf(ctx), true) }),
  revokeMyApiKey: ({ params }, ctx) => revokeApiKey(ctx.deps, principalOf(ctx), params.id, true),
  listApiKeys: async (_input, ctx) => ({ apiKeys: await listApiKeys(ctx.deps, principalOf(ctx), false) }),
  revokeApiKey: ({ params }, ctx) => revokeApiKey(ctx.deps, principalOf(ctx), params.id, false),
  createServiceAccount: ({ body }, ctx) => createServiceAccount(ctx.deps, principalOf(ctx), body),
  listServiceAccounts: async (_input, ctx) => ({ serviceAccounts: await listServiceAccounts(ctx.deps, principalOf(ctx)) }),
  createServiceAccountKey: ({ params, body }, ctx) => createServiceAccountKey(ctx.deps, principalOf(ctx), params.id, body),
  setMfaPolicy: async ({ body }, ctx) => {
    const p = principalOf(ctx);
    return setMfaPolicy(ctx.deps, p, body, await hasSecondFactor(ctx.deps.db, p.userId));
  },
};
