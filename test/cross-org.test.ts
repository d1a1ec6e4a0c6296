/**
 * Org isolation matrix (ARCHITECTURE §4: "a request can never name another
 * org's objects — test this for every route"). Iterates the protocol route
 * table, so a new route is covered (or fails here until the test learns how
 * to name its objects). Org B's owner — the most privileged principal of the
 * other org — calls every authenticated route:
 *   - naming org A's objects in the path: 404, nothing written;
 *   - naming A's objects only in the body: 404 or 403, nothing written;
 *   - naming nothing of A (B's own lists, profile, ...): success;
 * and no response ever contains one of A's ids, names or tokens. Afterwards
 * A's objects are unchanged. On SQLite and PostgreSQL.
 */
import test from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { routes, type RouteDef, type RouteName, type Event, type MyChannel, type Invite } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, makeOrg, makeUser, countRows, TEST_PASSWORD, type TestUser } from "@parley/server/testing/factories";
import type { Database } from "../packages/server/src/platform/db/tables.ts";
import { e2eeSamplesFor } from "./support/e2ee-samples.ts";
import { lockerMaterialFor } from "@parley/server/testing/locker";
import { approvalSignature } from "@parley/server/testing/approvals";
import { uploadFile } from "@parley/server/testing/files";
import { scimClient } from "@parley/server/testing/scim";
import { startTestSmtp } from "@parley/server/testing/smtp";
import { newArchiveKeys, signedArchivePolicy } from "@parley/server/testing/archive";
import { authorizeAndExchange, authorizeUrl, newPkce, startAuthorization } from "@parley/server/testing/oauth-client";
import { CookieJar } from "@parley/server/testing/oidc-idp";
import { startCallIn } from "@parley/server/testing/calls";

const TABLES: Array<keyof Database> = [
  "orgs",
  "users",
  "devices",
  "sessions",
  "refresh_tokens",
  "invites",
  "channels",
  "channel_members",
  "channel_restrictions",
  "events",
  "mentions",
  "user_stream",
  "notification_settings",
  "channel_notification_settings",
  "push_subscriptions",
  "bot_commands",
  "server_keys",
  "device_bindings",
  "key_packages",
  "mls_groups",
  "mls_leaves",
  "mls_welcomes",
  "mls_pending_removals",
  "files",
  "user_lockers",
  "locker_entries",
  "device_approvals",
  "approval_requests",
  "scim_tokens",
  "scim_users",
  "scim_groups",
  "scim_group_members",
  "scim_group_channels",
  "scim_channel_grants",
  "sso_providers",
  "sso_identities",
  "account_tokens",
  "user_avatars",
  "user_mfa",
  "mfa_recovery_codes",
  "mfa_challenges",
  "passkeys",
  "webauthn_challenges",
  "api_keys",
  "operator_tokens",
  "org_policies",
  "org_roles",
  "org_role_members",
  "legal_holds",
  "retention_policies",
  "gdpr_requests",
  "personal_items",
  "personal_heads",
  "reminders",
  "custom_emoji",
  "integrations",
  "integration_dead_letters",
  "calls",
  "call_participants",
  "call_rings",
];

/**
 * Routes B calls on its own account that need state B cannot have when the test reaches them
 * (an authenticator being enrolled, a passkey ceremony's answer): their refusal of B's own
 * request with one of these codes is the expected answer. Isolation is still checked: no leak,
 * and calls naming A's objects still 404.
 */
const OWN_STATE_REFUSALS: Partial<Record<RouteName, string[]>> = {
  confirmTotp: ["mfa_invalid", "bad_request"],
  disableTotp: ["bad_request"],
  regenerateRecoveryCodes: ["bad_request"],
  registerPasskey: ["passkey_invalid"],
  // B has no directory: saving one without its bind password, testing or syncing it is refused.
  setLdap: ["bad_request", "validation_failed"],
  testLdap: ["bad_request", "idp_unavailable"],
  syncLdap: ["bad_request"],
  // B's owner is a person: only bots (service accounts) register slash commands.
  setBotCommands: ["forbidden"],
};
/**
 * Routes whose path parameters name a slot in the caller's own space, never another org's
 * object: a personal item key is the caller's own (an HMAC their devices compute), and an emoji
 * shortcode B uploads is B's org's. B's calls succeed on B's own rows; A's stay unchanged.
 */
const CALLER_SCOPED: Partial<Record<RouteName, string>> = {
  putPersonalItem: "",
  deletePersonalItem: "?clientTs=1",
  createCustomEmoji: "",
};
/** B's password after changePassword (routes run in the table's order, changePassword first of these, so it is B's password from then on). */
const B_NEW_PASSWORD = "bravo changed its passphrase";

/** Routes without a principal: nothing to isolate (the invite token or password is the credential). */
const PUBLIC_ROUTES = new Set(
  Object.entries(routes)
    .filter(([, d]) => (d as RouteDef).auth === "none")
    .map(([n]) => n),
);

interface OrgA {
  owner: TestUser;
  member: TestUser;
  channels: Record<"public" | "private" | "dm", MyChannel>;
  event: Event;
  invite: Invite & { token: string };
  /** A complete upload in A's public channel. */
  fileId: string;
  deviceId: string;
  sessionId: string;
  /** An open approval request of the member's device. */
  approvalRequestId: string;
  /** A SCIM token of A and a group its identity provider pushed. */
  scimTokenId: string;
  scimGroupId: string;
  /** An OIDC single sign-on provider of A. */
  ssoProviderId: string;
  /** An API key of A's member, and a service account of A with a key. */
  apiKeyId: string;
  serviceAccountId: string;
  /** An org policy of A and a custom role of A (held by A's member). */
  policyId: string;
  roleId: string;
  /** A legal hold of A on A's member (matter named by `tag`). */
  holdId: string;
  /** A pending erasure request of A's member (docs/gdpr.md). */
  gdprRequestId: string;
  /** An outgoing integration served by A's service account in A's private channel. */
  integrationId: string;
  /** An OAuth app of A's, the grant A's owner gave it, and a consent request A's owner has not answered. */
  oauthAppId: string;
  oauthGrantId: string;
  oauthUid: string;
  /** A Web Push subscription of A's member (made after A's sends, so no push is attempted). */
  pushSubscriptionId: string;
  reminderId: string;
  /** A saved-item key of A's member, and a custom emoji of A. */
  itemKey: string;
  emojiName: string;
  /** An active call in A's public channel (A's owner's device is in it). */
  callId: string;
  /** Every id, name and token of org A that must never appear in B's responses. */
  secrets: string[];
}

const rnd = () => crypto.randomBytes(4).toString("hex");
const random = (n: number) => crypto.randomBytes(n).toString("base64");
/** A browser-shaped PushSubscription key pair (an uncompressed P-256 point and a 16-byte auth secret). */
const PUSH_KEYS = {
  p256dh: Buffer.concat([Buffer.from([4]), crypto.randomBytes(64)]).toString("base64url"),
  auth: crypto.randomBytes(16).toString("base64url"),
};

async function ok<T>(r: Promise<{ status: number; body: T }>, status: number, what: string): Promise<T> {
  const res = await r;
  assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
  return res.body;
}

async function buildOrgA(server: TestServer): Promise<OrgA> {
  const tag = rnd();
  const owner = await bootstrapOrg(server, { orgSlug: `alpha-${tag}`, orgName: `Alpha Corp ${tag}`, username: `alpha-boss-${tag}` });
  const member = await makeUser(server, owner, { username: `alpha-member-${tag}`, displayName: `Alpha Member ${tag}` });
  const pub = await ok<MyChannel>(
    owner.api("POST", "/channels", { kind: "public", name: `alpha-public-${tag}`, topic: `alpha topic ${tag}`, members: [member.user.id] }),
    201,
    "A public channel",
  );
  const priv = await ok<MyChannel>(
    owner.api("POST", "/channels", { kind: "private", name: `alpha-private-${tag}`, members: [member.user.id] }),
    201,
    "A private channel",
  );
  const dm = await ok<MyChannel>(owner.api("POST", "/dms", { userIds: [member.user.id] }), 200, "A DM");
  const sent = await ok<{ event: Event }>(
    owner.api("POST", `/channels/${pub.id}/events`, {
      clientId: `alpha-event-${tag}`,
      kind: "message",
      content: Buffer.from(`alpha secret ${tag}`).toString("base64"),
    }),
    200,
    "A event",
  );
  // A thread reply, so the thread routes have a root to look up.
  await ok(
    owner.api("POST", `/channels/${pub.id}/events`, {
      clientId: `alpha-reply-${tag}`,
      kind: "message",
      content: Buffer.from("reply").toString("base64"),
      threadRoot: sent.event.seq,
    }),
    200,
    "A reply",
  );
  const invite = await ok<Invite & { token: string }>(owner.api("POST", "/invites", { role: "member", maxUses: 5 }), 201, "A invite");
  // A key locker with an entry, so /users/:id/identity and the locker routes have something to leak.
  const locker = (await lockerMaterialFor(member)).body;
  await ok(member.api("PUT", "/me/locker", locker), 200, "A locker");
  const entry = { channelId: pub.id, generation: 0, fromEpoch: 0, toEpoch: 0, sealed: crypto.randomBytes(48).toString("base64") };
  await ok(member.api("POST", "/me/locker/entries", { entries: [entry] }), 201, "A locker entry");
  const commitment = crypto.randomBytes(32).toString("base64");
  const approval = await ok<{ id: string }>(member.api("POST", "/me/approval-requests", { commitment }), 201, "A approval request");
  const fileId = await uploadFile(server, owner, pub.id, crypto.randomBytes(64));
  const idp = await scimClient(server, owner, { name: `alpha-idp-${tag}` });
  const scimGroup = await idp.req("POST", "/Groups", {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    displayName: `alpha-group-${tag}`,
    members: [{ value: member.user.id }],
  });
  assert.equal(scimGroup.status, 201, `A SCIM group: ${JSON.stringify(scimGroup.body)}`);
  const sso = await ok<{ id: string }>(
    owner.api("POST", "/sso/providers", {
      name: `Alpha SSO ${tag}`,
      issuer: `https://idp-${tag}.alpha.example/realms/alpha`,
      clientId: `alpha-client-${tag}`,
      clientSecret: `alpha-sso-secret-${tag}`,
    }),
    201,
    "A SSO provider",
  );
  const apiKey = await ok<{ key: string; apiKey: { id: string } }>(
    member.api("POST", "/me/api-keys", { name: `alpha-key-${tag}`, scopes: ["read"] }),
    201,
    "A API key",
  );
  const bot = await ok<{ id: string; username: string }>(
    owner.api("POST", "/service-accounts", { username: `alpha-bot-${tag}`, displayName: `Alpha Bot ${tag}` }),
    201,
    "A service account",
  );
  const botKey = await ok<{ key: string; apiKey: { id: string } }>(
    owner.api("POST", `/service-accounts/${bot.id}/api-keys`, { name: `alpha-bot-key-${tag}`, scopes: ["read"] }),
    201,
    "A bot key",
  );
  // The bot serves an integration in the private channel, with a dead letter reported.
  await ok(owner.api("POST", `/channels/${priv.id}/members`, { userIds: [bot.id] }), 200, "A bot in the private channel");
  const integration = await ok<{ id: string }>(
    owner.api("POST", "/integrations", { kind: "outgoing", name: `alpha-hook-${tag}`, botUserId: bot.id, channelId: priv.id, runsAt: `alpha-runner-${tag}` }),
    201,
    "A integration",
  );
  // An OAuth app with a grant (the full code + PKCE flow) and a consent request still open.
  const oauthApp = await ok<{ id: string; clientId: string }>(
    owner.api("POST", "/oauth-apps", { name: `alpha-app-${tag}`, redirectUris: ["https://alpha.example/cb"], scopes: ["read"] }),
    201,
    "A OAuth app",
  );
  const appRef = { clientId: oauthApp.clientId, redirectUri: "https://alpha.example/cb" };
  const exchanged = await authorizeAndExchange(server.url, appRef, owner.accessToken, "read");
  assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
  const grants = await ok<{ grants: Array<{ id: string }> }>(owner.api("GET", "/me/oauth-grants"), 200, "A grants");
  const pending = await startAuthorization(new CookieJar(), authorizeUrl(server.url, appRef, { scope: "read", state: "st", challenge: newPkce().challenge }));
  assert.ok(pending.uid, "A consent request is open");
  const policy = await ok<{ id: string }>(
    owner.api("POST", "/org/policies", {
      name: `alpha-policy-${tag}`,
      text: `forbid (principal, action == Action::"channel.read", resource) when { principal.role == "guest" && resource.labels.contains("alpha-${tag}") };`,
    }),
    201,
    "A policy",
  );
  const role = await ok<{ id: string }>(owner.api("POST", "/org/roles", { name: `alpha-role-${tag}`, permissions: ["org.read_audit"] }), 201, "A custom role");
  await ok(owner.api("PUT", `/users/${member.user.id}/custom-roles`, { roleIds: [role.id] }), 200, "A role holder");
  await ok(owner.api("PUT", `/channels/${priv.id}/labels`, { labels: [`alpha-${tag}`] }), 200, "A labels");
  const hold = await ok<{ id: string }>(
    owner.api("POST", "/compliance/holds", { matter: `alpha-matter-${tag}`, scope: "user", targetId: member.user.id }),
    201,
    "A legal hold",
  );
  const gdprRequest = await ok<{ id: string }>(
    member.api("POST", "/me/gdpr-requests", { kind: "erase", note: `alpha-leaving-${tag}` }),
    201,
    "A erasure request",
  );
  await ok(owner.api("PUT", `/compliance/retention/channels/${pub.id}`, { eventsDays: 3650, filesDays: null }), 200, "A channel retention");
  const secrets = [
    policy.id,
    `alpha-policy-${tag}`,
    role.id,
    `alpha-role-${tag}`,
    `alpha-${tag}`,
    owner.org.id,
    owner.org.slug,
    owner.org.name,
    owner.user.id,
    owner.user.username,
    member.user.id,
    member.user.username,
    member.user.displayName,
    pub.id,
    pub.name,
    pub.topic,
    priv.id,
    priv.name,
    dm.id,
    sent.event.id,
    sent.event.clientId,
    sent.event.content,
    invite.id,
    invite.token,
    fileId,
    member.tokens.deviceId,
    member.tokens.sessionId,
    owner.tokens.deviceId,
    owner.tokens.sessionId,
    locker.publicKey,
    locker.identityKey,
    locker.recoveryBlob,
    entry.sealed,
    approval.id,
    commitment,
    idp.tokenId,
    idp.token,
    `alpha-idp-${tag}`,
    scimGroup.body.id,
    `alpha-group-${tag}`,
    sso.id,
    `Alpha SSO ${tag}`,
    `alpha-client-${tag}`,
    `alpha-sso-secret-${tag}`,
    apiKey.key,
    apiKey.apiKey.id,
    `alpha-key-${tag}`,
    bot.id,
    bot.username,
    botKey.key,
    botKey.apiKey.id,
  ].filter((s) => s.length >= 6); // an empty or tiny string would "match" anything
  const pushSub = await ok(
    member.api("POST", "/push/subscriptions", { endpoint: `https://push.alpha.example/${tag}`, keys: PUSH_KEYS }),
    201,
    "A push subscription",
  );
  // A saved item of A's member and a custom emoji of A: B's calls on the same key or name touch B's own only.
  const itemKey = crypto.randomBytes(24).toString("base64url");
  const item = await ok<{ sealed: string }>(member.api("PUT", `/me/items/saved/${itemKey}`, { sealed: random(64), clientTs: 1000 }), 200, "A saved item");
  // A reminder of A's member: B's calls naming its id find nothing.
  const reminder = await ok<{ id: string }>(member.api("POST", "/me/reminders", { dueAt: Date.now() + 3_600_000 }), 201, "A reminder");
  const emojiName = `alpha-emoji-${tag}`;
  await ok(
    owner.api("PUT", `/emoji/${emojiName}`, { contentType: "image/gif", data: Buffer.from("474946383961100010000000", "hex").toString("base64") }),
    201,
    "A emoji",
  );
  // A call going on in A's public channel: B can neither see it nor end it.
  const callId = await startCallIn(server.url, owner.accessToken, pub.id);
  return {
    owner,
    member,
    itemKey,
    emojiName,
    callId,
    channels: { public: pub, private: priv, dm },
    event: sent.event,
    invite,
    fileId,
    deviceId: member.tokens.deviceId,
    sessionId: member.tokens.sessionId,
    approvalRequestId: approval.id,
    scimTokenId: idp.tokenId,
    scimGroupId: scimGroup.body.id,
    ssoProviderId: sso.id,
    apiKeyId: apiKey.apiKey.id,
    serviceAccountId: bot.id,
    policyId: policy.id,
    roleId: role.id,
    holdId: hold.id,
    gdprRequestId: gdprRequest.id,
    pushSubscriptionId: pushSub.id,
    reminderId: reminder.id,
    integrationId: integration.id,
    oauthAppId: oauthApp.id,
    oauthGrantId: grants.grants[0]!.id,
    oauthUid: pending.uid,
    secrets: [
      ...secrets,
      item.sealed,
      integration.id,
      `alpha-hook-${tag}`,
      `alpha-runner-${tag}`,
      oauthApp.id,
      `alpha-app-${tag}`,
      hold.id,
      `alpha-matter-${tag}`,
      gdprRequest.id,
      `alpha-leaving-${tag}`,
      pushSub.id,
      reminder.id,
      `push.alpha.example/${tag}`,
      callId,
    ],
  };
}

/** Which of A's objects a `:id` names, by the path it sits in. */
function idFor(path: string, a: OrgA): string {
  if (path.startsWith("/sessions/")) return a.sessionId;
  if (path.startsWith("/devices/")) return a.deviceId;
  if (path.startsWith("/invites/")) return a.invite.id;
  if (path.startsWith("/users/")) return a.member.user.id;
  if (path.startsWith("/me/approval-requests/")) return a.approvalRequestId;
  if (path.startsWith("/scim/tokens/")) return a.scimTokenId;
  if (path.startsWith("/scim/groups/")) return a.scimGroupId;
  if (path.startsWith("/sso/providers/")) return a.ssoProviderId;
  if (path.startsWith("/me/api-keys/") || path.startsWith("/api-keys/")) return a.apiKeyId;
  if (path.startsWith("/service-accounts/")) return a.serviceAccountId;
  if (path.startsWith("/org/policies/")) return a.policyId;
  if (path.startsWith("/org/roles/")) return a.roleId;
  if (path.startsWith("/compliance/users/")) return a.member.user.id;
  if (path.startsWith("/compliance/gdpr-requests/")) return a.gdprRequestId;
  if (path.startsWith("/integrations/")) return a.integrationId;
  if (path.startsWith("/me/reminders/")) return a.reminderId;
  if (path.startsWith("/oauth-apps/")) return a.oauthAppId;
  if (path.startsWith("/oauth-grants/") || path.startsWith("/me/oauth-grants/")) return a.oauthGrantId;
  // A credential id no one registered: a passkey is its owner's alone, so any other is "not found".
  if (path.startsWith("/me/passkeys/")) return "alpha-passkey-credential";
  throw new Error(`cross-org.test.ts does not know which object ":id" names in ${path}: teach idFor()`);
}

/** The path with A's objects filled in, one variant per A channel for channel routes. */
function pathsFor(name: RouteName, def: RouteDef, a: OrgA): string[] {
  const channels = def.path.includes(":channelId") ? Object.values(a.channels).map((c) => c.id) : [""];
  return channels.map(
    (channelId) =>
      def.path.replace(/:([A-Za-z]+)/g, (_, p: string) => {
        switch (p) {
          case "channelId":
            return channelId;
          case "userId":
            return a.member.user.id;
          case "sessionId":
            return a.sessionId;
          case "deviceId":
            return a.deviceId;
          case "clientId":
            return a.event.clientId;
          case "rootSeq":
          case "seq":
            return String(a.event.seq);
          case "token":
            return a.invite.token;
          case "fileId":
            return a.fileId;
          case "holdId":
            return a.holdId;
          case "subscriptionId":
            return a.pushSubscriptionId;
          case "welcomeId":
            return "wel_unknown"; // the :channelId part already names A's object
          case "kind":
            return "saved";
          case "key":
            return a.itemKey;
          case "name":
            // B uploads under a name of its own (A's would be B's own slot too); the other emoji routes name A's.
            return name === "createCustomEmoji" ? `bravo-emoji-${rnd()}` : a.emojiName;
          case "id":
            return idFor(def.path, a);
          case "uid":
            return a.oauthUid;
          case "callId":
            return a.callId;
          default:
            throw new Error(`cross-org.test.ts does not know path parameter :${p} (${def.path}): teach pathsFor()`);
        }
      }) + (CALLER_SCOPED[name] ?? ""),
  );
}

/** Bodies only B can build (its own device's MLS identity and KeyPackages), set once B exists. */
let bSamples: Partial<Record<RouteName, unknown>> = {};

/** A valid body for each route, naming A's objects wherever the body can name one. */
function bodyFor(name: RouteName, def: RouteDef, a: OrgA): unknown {
  const samples: Partial<Record<RouteName, unknown>> = {
    updateMe: { displayName: "B owner renamed" },
    renameDevice: { name: "stolen device" },
    createInvite: { role: "member" },
    setUserRole: { role: "admin" },
    createChannel: { kind: "private", name: `b-${rnd()}`, members: [a.member.user.id] },
    openDm: { userIds: [a.member.user.id] },
    updateChannel: { name: "pwned", topic: "pwned" },
    addMembers: { userIds: [a.member.user.id] },
    setMemberRole: { role: "admin" },
    sendEvent: { clientId: `b-${rnd()}-cross`, kind: "message", content: Buffer.from("intruder").toString("base64") },
    markRead: { seq: 1 },
    setBotCommands: { commands: [{ name: "bravo", description: "B's command", usage: "" }] },
    markThreadRead: { seq: 1 },
    markUnread: { seq: 1 },
    createFile: { size: 10 },
    postCommitBundle: { epoch: 0, groupInfo: Buffer.from("not a group info").toString("base64") },
    setE2eeConfig: { suite: "default" },
    claimKeyPackages: { userIds: [a.member.user.id] },
    resetEncryption: { reason: "admin" },
    appendLockerEntries: {
      entries: [{ channelId: a.channels.public.id, generation: 0, fromEpoch: 0, toEpoch: 0, sealed: Buffer.from("sealed").toString("base64") }],
    },
    createApprovalRequest: { commitment: random(32) },
    acceptApprovalRequest: { publicKey: random(32) },
    revealApprovalKey: { publicKey: random(32) },
    completeApprovalRequest: { sealed: random(80), signature: random(64) },
    createScimToken: { name: "B's identity provider" },
    setScimGroupMapping: { role: "guest", channelIds: [a.channels.public.id] },
    createSsoProvider: { name: "B's IdP", issuer: "https://idp.bravo.example", clientId: "bravo" },
    updateSsoProvider: { name: "pwned" },
    changeEmail: { currentPassword: B_NEW_PASSWORD, email: `bravo-${rnd()}@example.org` },
    changePassword: { currentPassword: TEST_PASSWORD, newPassword: B_NEW_PASSWORD },
    startTotp: { currentPassword: B_NEW_PASSWORD },
    confirmTotp: { code: "000000" },
    disableTotp: { currentPassword: B_NEW_PASSWORD, code: "000000" },
    regenerateRecoveryCodes: { code: "000000" },
    passkeyRegistrationOptions: { currentPassword: B_NEW_PASSWORD },
    registerPasskey: { challengeId: "wac_unknown", name: "B's key", response: {} },
    renamePasskey: { name: "pwned" },
    setAvatar: { contentType: "image/png", data: Buffer.from("89504e470d0a1a0a0000000d49484452", "hex").toString("base64") },
    adminSetEmail: { email: `pwned-${rnd()}@example.org` },
    setPasswordPolicy: { minLength: 10, blockCommon: true },
    setMfaPolicy: { required: false, roles: ["member"], graceDays: 7 },
    setSessionPolicy: { idleTimeoutMinutes: null, absoluteTimeoutHours: null, ipAllowList: [] },
    setEditPolicy: { enabled: true, windowMinutes: 15 },
    setCallPolicy: { recordingAllowed: true },
    signOutEverywhere: { keepCurrent: true },
    createApiKey: { name: "B's key", scopes: ["read"] },
    createServiceAccount: { username: `bravo-bot-${rnd()}`, displayName: "B bot" },
    createServiceAccountKey: { name: "B's bot key", scopes: ["read"] },
    setLdap: { enabled: true, url: "ldap://127.0.0.1:1", bindDn: "cn=x,dc=bravo", userBase: "ou=people,dc=bravo" },
    setChannelLabels: { labels: ["pwned"] },
    createPolicy: {
      name: `bravo-policy-${rnd()}`,
      text: `forbid (principal, action == Action::"channel.read", resource) when { principal.role == "guest" && resource.labels.contains("bravo") };`,
    },
    updatePolicy: { enabled: false },
    validatePolicy: { text: `forbid (principal, action, resource) when { principal.role == "guest" };` },
    dryRunPolicy: { action: "channel.read", channelId: a.channels.public.id },
    createCustomRole: { name: `bravo-role-${rnd()}`, permissions: ["org.read_audit"] },
    updateCustomRole: { name: "pwned" },
    setUserCustomRoles: { roleIds: [] },
    setRetention: { eventsDays: 30, filesDays: null, auditDays: null },
    setChannelRetention: { eventsDays: 1, filesDays: 1 },
    createHold: { matter: "bravo matter", scope: "user", targetId: a.member.user.id },
    appendArchiveKeys: { policyVersion: 1, entries: [{ generation: 0, fromEpoch: 0, toEpoch: 0, sealed: random(64) }] },
    recordArchiveExport: {
      channelIds: [a.channels.public.id],
      userId: null,
      from: null,
      to: null,
      items: 1,
      attachments: 0,
      manifestSha256: "ab".repeat(32),
      signerFingerprint: "0000",
    },
    createGdprRequest: { kind: "erase", note: "bravo leaves" },
    declineGdprRequest: { response: "pwned" },
    eraseUser: { confirm: a.member.user.username },
    setChannelNotifications: { level: "muted" },
    createPushSubscription: { endpoint: `https://push.bravo.example/${rnd()}`, keys: PUSH_KEYS },
    putPersonalItem: { sealed: random(48), clientTs: 1 },
    createReminder: { dueAt: Date.now() + 3_600_000 },
    updateReminder: { dueAt: Date.now() + 7_200_000 },
    createCustomEmoji: { contentType: "image/gif", data: Buffer.from("474946383961100010000000", "hex").toString("base64") },
    createIntegration: { kind: "incoming", name: `bravo-hook-${rnd()}`, botUserId: a.serviceAccountId, channelId: a.channels.private.id, runsAt: "bravo" },
    updateIntegration: { enabled: false },
    answerOAuthConsent: { allow: true },
    createOAuthApp: { name: `bravo-app-${rnd()}`, redirectUris: ["https://bravo.example/cb"], scopes: ["read", "write"] },
    reportIntegrationDeadLetter: {
      deliveryId: `dlv_bravo_${rnd()}`,
      channelId: a.channels.private.id,
      seq: 1,
      targetHost: "bravo.example:443",
      lastStatus: null,
      lastError: "pwned",
      attempts: 1,
      failedAt: 1,
    },
    ...bSamples,
  };
  if (name in samples) return samples[name];
  if (!def.body) return undefined;
  const empty = def.body.safeParse({});
  if (empty.success) return {};
  throw new Error(`cross-org.test.ts has no sample body for route ${name}: add one to bodyFor()`);
}

/** Whether the body names one of A's objects (routes with no object id in the path). */
const bodyNamesA = (body: unknown, a: OrgA) => body !== undefined && a.secrets.some((s) => JSON.stringify(body).includes(s));

async function counts(server: TestServer): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = await countRows(server, t);
  return out;
}

/** No A secret in `text`, except what B itself sent (echoing B's own input back leaks nothing). */
function assertNoLeak(text: string, a: OrgA, what: string, sentByB = ""): void {
  for (const s of a.secrets) {
    if (sentByB.includes(s)) continue;
    assert.ok(!text.includes(s), `${what} leaked org A's "${s}": ${text.slice(0, 500)}`);
  }
}

for (const dialect of DIALECTS) {
  test(`no route lets org B see or touch org A's objects (${dialect})`, { timeout: 120_000 }, async (t) => {
    // Email is configured, so the routes that send some (changeEmail) answer B's own calls.
    const smtp = await startTestSmtp();
    const server = await startTestServer({ dialect, config: { smtpUrl: smtp.url, smtpRequireTls: false } });
    try {
      const a = await buildOrgA(server);
      let b = await makeOrg(server, `bravo-${rnd()}`);
      bSamples = await e2eeSamplesFor(b);
      // B's own archive policy (B's officers sign it), so B's own setArchivePolicy call succeeds.
      bSamples.setArchivePolicy = signedArchivePolicy(newArchiveKeys(), b.org.id, 1, { kinds: ["private"], labels: [], channelIds: [] });
      // B's own locker, so its locker routes answer (putLocker with the same body is idempotent).
      const bLocker = await lockerMaterialFor(b);
      bSamples.putLocker = bLocker.body;
      await ok(b.api("PUT", "/me/locker", bSamples.putLocker), 200, "B locker");
      // B's device approves itself over the key putDeviceIdentity (an earlier route) registers.
      const bKey = Buffer.from((bSamples.putDeviceIdentity as { signaturePublicKey: string }).signaturePublicKey, "base64");
      bSamples.approveOwnDevice = { signature: approvalSignature(bLocker.identity.privateKey, b, b.tokens.deviceId, bKey) };
      // logout ends B's own session: run it last.
      const names = (Object.keys(routes) as RouteName[]).filter((n) => !PUBLIC_ROUTES.has(n)).sort((x, y) => Number(x === "logout") - Number(y === "logout"));
      let checked = 0;
      for (const name of names) {
        const def = routes[name] as RouteDef;
        for (const path of pathsFor(name, def, a)) {
          const body = bodyFor(name, def, a);
          const before = await counts(server);
          const res = await b.api(def.method, path, body);
          const text = JSON.stringify(res.body ?? "");
          const what = `${name} ${def.method} ${path}`;
          assertNoLeak(text, a, what, path + JSON.stringify(body ?? ""));
          if (name in CALLER_SCOPED) {
            assert.ok(res.status >= 200 && res.status < 300, `${what}: B's own call failed: ${res.status} ${text}`);
          } else if (path !== def.path) {
            assert.equal(res.status, 404, `${what}: expected 404, got ${res.status} ${text}`);
            assert.equal(res.body.code, "not_found", what);
            assert.deepEqual(await counts(server), before, `${what} wrote rows`);
          } else if (bodyNamesA(body, a)) {
            assert.ok([403, 404].includes(res.status), `${what}: expected 404/403, got ${res.status} ${text}`);
            assert.deepEqual(await counts(server), before, `${what} wrote rows`);
          } else if (OWN_STATE_REFUSALS[name] && res.status >= 400) {
            assert.ok(
              OWN_STATE_REFUSALS[name].includes(res.body.code),
              `${what}: B's own call: expected ${OWN_STATE_REFUSALS[name].join("/")}, got ${res.status} ${text}`,
            );
            assert.deepEqual(await counts(server), before, `${what} wrote rows`);
          } else {
            assert.ok(res.status >= 200 && res.status < 300, `${what}: B's own call failed: ${res.status} ${text}`);
          }
          checked++;
        }
      }
      t.diagnostic(`${checked} route calls checked`);
      if (names.includes("logout")) b = await makeOrg(server, `bravo-${rnd()}`); // B's session ended; A's state is checked as A below.

      // A's objects are untouched and A's sessions still work.
      const meA = await a.member.api("GET", "/me");
      assert.equal(meA.status, 200);
      assert.equal(meA.body.user.displayName, a.member.user.displayName);
      assert.equal(meA.body.user.role, "member");
      const ch = await a.owner.api("GET", `/channels/${a.channels.public.id}`);
      assert.equal(ch.status, 200);
      assert.equal(ch.body.name, a.channels.public.name);
      assert.equal(ch.body.topic, a.channels.public.topic);
      assert.equal(ch.body.archived, false);
      const members = await a.owner.api("GET", `/channels/${a.channels.public.id}/members`);
      assert.deepEqual(members.body.members.map((m: { userId: string }) => m.userId).sort(), [a.owner.user.id, a.member.user.id].sort());
      const devices = await a.member.api("GET", "/devices");
      assert.ok(devices.body.devices.every((d: { revoked: boolean; name: string }) => !d.revoked && d.name !== "stolen device"));
      const invites = await a.owner.api("GET", "/invites");
      assert.ok(invites.body.invites.some((i: Invite) => i.id === a.invite.id && !i.revoked));
      const events = await a.owner.api("GET", `/channels/${a.channels.public.id}/events?after=0`);
      assert.ok(
        events.body.events.every((e: Event) => e.senderId === a.owner.user.id),
        "an event from org B landed in A's channel",
      );
      assertNoLeak(JSON.stringify((await b.api("GET", "/users")).body), a, "B's user directory");
      const items = await a.member.api("GET", "/me/items?kind=saved");
      assert.deepEqual(
        items.body.items.map((i: { key: string; clientTs: number; sealed: string | null }) => [i.key, i.clientTs, i.sealed !== null]),
        [[a.itemKey, 1000, true]],
      );
      assert.ok((await a.member.api("GET", "/emoji")).body.emoji.some((e: { name: string }) => e.name === a.emojiName));
    } finally {
      await server.stop();
      await smtp.stop();
    }
  });
}
