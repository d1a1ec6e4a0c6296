/**
 * The account half of a data-subject export: profile, sign-in factors, devices and sessions,
 * identity-provider links, key locker metadata. Each function returns the JSON of one file of
 * the ZIP. Never a secret: no password or token hash, no sealed value (TOTP secret), no key or
 * recovery blob, no passkey public key — only that they exist and when they were used.
 */
import type { Deps } from "../../context.ts";
import type { UsersTable } from "../../platform/db/tables.ts";

type Db = Deps["db"];
const ms = (v: number | null | undefined) => (v === null || v === undefined ? null : Number(v));
const json = (text: string | null | undefined): unknown => (text ? JSON.parse(text) : null);

/** profile.json: the account as the org sees it, and its custom roles. */
export async function profileFile(db: Db, u: UsersTable) {
  const roles = await db
    .selectFrom("org_role_members as m")
    .innerJoin("org_roles as r", "r.id", "m.role_id")
    .select(["r.id", "r.name", "r.permissions", "m.granted_by", "m.granted_at"])
    .where("m.org_id", "=", u.org_id)
    .where("m.user_id", "=", u.id)
    .execute();
  const avatar = await db.selectFrom("user_avatars").select(["content_type", "updated_at"]).where("user_id", "=", u.id).executeTakeFirst();
  return {
    id: u.id,
    username: u.username,
    displayName: u.display_name,
    email: u.email,
    statusText: u.status_text,
    statusEmoji: u.status_emoji,
    statusExpiresAt: ms(u.status_expires_at),
    title: u.title,
    timeZone: u.time_zone,
    role: u.role,
    kind: u.kind,
    createdAt: ms(u.created_at),
    deactivatedAt: ms(u.deactivated_at),
    passwordChangedAt: ms(u.password_changed_at),
    avatar: avatar ? { file: avatarFileName(avatar.content_type), contentType: avatar.content_type, updatedAt: ms(avatar.updated_at) } : null,
    customRoles: roles.map((r) => ({ id: r.id, name: r.name, permissions: json(r.permissions), grantedBy: r.granted_by, grantedAt: ms(r.granted_at) })),
  };
}

/** The profile picture's file name in the ZIP. */
export function avatarFileName(contentType: string): string {
  return `avatar.${contentType === "image/jpeg" ? "jpg" : contentType === "image/webp" ? "webp" : "png"}`;
}

/** security.json: password, authenticator app, recovery codes, passkeys, API keys, account links. */
export async function securityFile(db: Db, u: UsersTable) {
  const [mfa, codes, passkeys, apiKeys, links, challenges] = await Promise.all([
    db.selectFrom("user_mfa").select(["totp_enabled_at", "pending_at", "totp_last_step"]).where("user_id", "=", u.id).executeTakeFirst(),
    db.selectFrom("mfa_recovery_codes").select(["created_at", "used_at"]).where("user_id", "=", u.id).execute(),
    db
      .selectFrom("passkeys")
      .select(["id", "name", "counter", "transports", "backed_up", "created_at", "last_used_at"])
      .where("user_id", "=", u.id)
      .orderBy("created_at")
      .execute(),
    db
      .selectFrom("api_keys")
      .select(["id", "name", "prefix", "scopes", "created_by", "created_at", "expires_at", "last_used_at", "revoked_at"])
      .where("user_id", "=", u.id)
      .orderBy("created_at")
      .execute(),
    db
      .selectFrom("account_tokens")
      .select(["id", "purpose", "email", "created_by", "created_at", "expires_at", "used_at"])
      .where("user_id", "=", u.id)
      .orderBy("created_at")
      .execute(),
    db.selectFrom("mfa_challenges").select(["device_name", "attempts", "created_at", "expires_at", "used_at"]).where("user_id", "=", u.id).execute(),
  ]);
  return {
    password: { set: !u.password_hash.startsWith("!"), changedAt: ms(u.password_changed_at) },
    authenticatorApp: mfa
      ? {
          enabled: mfa.totp_enabled_at !== null,
          enabledAt: ms(mfa.totp_enabled_at),
          enrolmentStartedAt: ms(mfa.pending_at),
          lastCodeStep: ms(mfa.totp_last_step),
        }
      : { enabled: false },
    recoveryCodes: {
      issued: codes.length,
      used: codes.filter((c) => c.used_at !== null).length,
      createdAt: ms(codes[0]?.created_at),
      usedAt: codes.flatMap((c) => (c.used_at === null ? [] : [ms(c.used_at)])),
    },
    passkeys: passkeys.map((k) => ({
      credentialId: k.id,
      name: k.name,
      signatureCounter: Number(k.counter),
      transports: json(k.transports),
      backedUp: Number(k.backed_up) === 1,
      createdAt: ms(k.created_at),
      lastUsedAt: ms(k.last_used_at),
    })),
    apiKeys: apiKeys.map((k) => ({
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      scopes: json(k.scopes),
      createdBy: k.created_by,
      createdAt: ms(k.created_at),
      expiresAt: ms(k.expires_at),
      lastUsedAt: ms(k.last_used_at),
      revokedAt: ms(k.revoked_at),
    })),
    accountLinks: links.map((l) => ({
      id: l.id,
      purpose: l.purpose,
      email: l.email,
      createdBy: l.created_by,
      createdAt: ms(l.created_at),
      expiresAt: ms(l.expires_at),
      usedAt: ms(l.used_at),
    })),
    secondFactorSignIns: challenges.map((c) => ({
      deviceName: c.device_name,
      wrongCodes: Number(c.attempts),
      createdAt: ms(c.created_at),
      expiresAt: ms(c.expires_at),
      usedAt: ms(c.used_at),
    })),
  };
}

/** devices.json and sessions.json: every device (with its directory binding and approval) and session. */
export async function devicesFile(db: Db, u: UsersTable) {
  const [devices, bindings, approvals, packages] = await Promise.all([
    db.selectFrom("devices").selectAll().where("org_id", "=", u.org_id).where("user_id", "=", u.id).orderBy("created_at").execute(),
    db.selectFrom("device_bindings").select(["device_id", "suite", "created_at"]).where("user_id", "=", u.id).execute(),
    db.selectFrom("device_approvals").select(["device_id", "approved_by", "created_at"]).where("user_id", "=", u.id).execute(),
    db
      .selectFrom("key_packages")
      .select((eb) => ["device_id", eb.fn.countAll<number>().as("n")])
      .where("user_id", "=", u.id)
      .groupBy("device_id")
      .execute(),
  ]);
  const binding = new Map(bindings.map((b) => [b.device_id, b]));
  const approval = new Map(approvals.map((a) => [a.device_id, a]));
  const kps = new Map(packages.map((k) => [k.device_id, Number(k.n)]));
  return devices.map((d) => ({
    id: d.id,
    name: d.name,
    createdAt: ms(d.created_at),
    lastSeenAt: ms(d.last_seen_at),
    revokedAt: ms(d.revoked_at),
    encryption: binding.has(d.id) ? { suite: binding.get(d.id)!.suite, registeredAt: ms(binding.get(d.id)!.created_at) } : null,
    approval: approval.has(d.id) ? { approvedBy: approval.get(d.id)!.approved_by ?? "self", approvedAt: ms(approval.get(d.id)!.created_at) } : null,
    keyPackagesStored: kps.get(d.id) ?? 0,
  }));
}

export async function sessionsFile(db: Db, u: UsersTable) {
  const rows = await db.selectFrom("sessions").selectAll().where("org_id", "=", u.org_id).where("user_id", "=", u.id).orderBy("created_at").execute();
  return rows.map((s) => ({
    id: s.id,
    deviceId: s.device_id,
    createdAt: ms(s.created_at),
    lastUsedAt: ms(s.last_used_at),
    expiresAt: ms(s.expires_at),
    revokedAt: ms(s.revoked_at),
    revokedReason: s.revoked_reason,
    restriction: s.restriction,
    apiKeyId: s.api_key_id,
    scopes: json(s.scopes),
    singleSignOn: s.sso_provider_id ? { providerId: s.sso_provider_id, sessionId: s.sso_sid ?? null, nameId: s.sso_name_id ?? null } : null,
    secondFactor: Number(s.mfa ?? 0) === 1,
  }));
}

/** identity-providers.json: what SSO, SCIM and LDAP link to the account. */
export async function identityProvidersFile(db: Db, u: UsersTable) {
  const [sso, scim, groups, ldap] = await Promise.all([
    db
      .selectFrom("sso_identities as i")
      .innerJoin("sso_providers as p", "p.id", "i.provider_id")
      .select(["p.id", "p.name", "p.kind", "i.subject", "i.created_at", "i.last_sign_in_at"])
      .where("i.org_id", "=", u.org_id)
      .where("i.user_id", "=", u.id)
      .execute(),
    db.selectFrom("scim_users").selectAll().where("org_id", "=", u.org_id).where("user_id", "=", u.id).executeTakeFirst(),
    db
      .selectFrom("scim_group_members as m")
      .innerJoin("scim_groups as g", "g.id", "m.group_id")
      .select(["g.id", "g.display_name", "g.role", "m.created_at"])
      .where("m.org_id", "=", u.org_id)
      .where("m.user_id", "=", u.id)
      .execute(),
    db.selectFrom("ldap_accounts").selectAll().where("org_id", "=", u.org_id).where("user_id", "=", u.id).executeTakeFirst(),
  ]);
  return {
    singleSignOn: sso.map((s) => ({
      providerId: s.id,
      provider: s.name,
      kind: s.kind,
      subject: s.subject,
      linkedAt: ms(s.created_at),
      lastSignInAt: ms(s.last_sign_in_at),
    })),
    scim: scim
      ? {
          userName: scim.user_name,
          externalId: scim.external_id,
          name: {
            formatted: scim.name_formatted,
            familyName: scim.family_name,
            givenName: scim.given_name,
            middleName: scim.middle_name,
            honorificPrefix: scim.honorific_prefix,
            honorificSuffix: scim.honorific_suffix,
          },
          managedRole: scim.managed_role,
          createdAt: ms(scim.created_at),
          updatedAt: ms(scim.updated_at),
          deletedAt: ms(scim.deleted_at),
          groups: groups.map((g) => ({ id: g.id, name: g.display_name, role: g.role, memberSince: ms(g.created_at) })),
        }
      : null,
    ldap: ldap
      ? {
          externalId: ldap.external_id,
          dn: ldap.dn,
          deactivatedBySync: Number(ldap.deactivated_by_sync) === 1,
          linkedAt: ms(ldap.created_at),
          syncedAt: ms(ldap.synced_at),
        }
      : null,
  };
}

/**
 * key-locker.json: that the user has a locker (never its blob or keys), its entries by count, approval
 * requests, and the saved messages, drafts and settings sealed under it by count (ADR 0009).
 */
export async function keyLockerFile(db: Db, u: UsersTable) {
  const [locker, entries, requests, items] = await Promise.all([
    db.selectFrom("user_lockers").select(["created_at", "updated_at"]).where("user_id", "=", u.id).executeTakeFirst(),
    db
      .selectFrom("locker_entries")
      .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.min("created_at").as("first"), eb.fn.max("created_at").as("last")])
      .where("user_id", "=", u.id)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom("approval_requests")
      .select(["id", "device_id", "approver_device_id", "state", "created_at", "updated_at", "expires_at"])
      .where("user_id", "=", u.id)
      .orderBy("created_at")
      .execute(),
    db
      .selectFrom("personal_items")
      .select((eb) => ["kind", eb.fn.countAll<number>().as("n")])
      .where("user_id", "=", u.id)
      .where("sealed", "is not", null)
      .groupBy("kind")
      .execute(),
  ]);
  const count = (kind: string) => Number(items.find((i) => i.kind === kind)?.n ?? 0);
  return {
    personalItems: { saved: count("saved"), draft: count("draft"), setting: count("setting") },
    locker: locker ? { createdAt: ms(locker.created_at), recoveryChangedAt: ms(locker.updated_at) } : null,
    sealedEntries: { count: Number(entries.n), firstAt: ms(entries.first as number | null), lastAt: ms(entries.last as number | null) },
    approvalRequests: requests.map((r) => ({
      id: r.id,
      deviceId: r.device_id,
      approverDeviceId: r.approver_device_id,
      state: r.state,
      createdAt: ms(r.created_at),
      updatedAt: ms(r.updated_at),
      expiresAt: ms(r.expires_at),
    })),
  };
}
