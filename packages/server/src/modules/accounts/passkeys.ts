/**
 * Passkeys (WebAuthn via @simplewebauthn/server): register one (current password first),
 * sign in with it instead of a password (user verification required, so it counts as
 * multi-factor), or use it as the second factor after a password; list, rename, remove.
 * The relying party is the public URL's host (PARLEY_WEBAUTHN_RP_ID), the origin the
 * public URL's (plus PARLEY_WEBAUTHN_ORIGINS). Every ceremony's challenge is stored,
 * single use and short-lived; a credential's signature counter may never go backwards.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type { Passkey } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { PasskeysTable, WebauthnChallengesTable } from "../../platform/db/tables.ts";
import { runCommand } from "../../command.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { newId } from "../../platform/ids.ts";
import { reauthenticate } from "./reauth.ts";
import { getOrg, getUserInOrg } from "./store.ts";
import { mails, queueMail } from "./mail.ts";
import { mfaDeadline, mfaPolicyOf } from "./mfa-policy.ts";

const CEREMONY_TTL_MS = 5 * 60_000;

type Reason = "challenge" | "unknown_credential" | "verification" | "user_verification" | "wrong_user";
const passkeyInvalid = (reason: Reason, message = "the passkey's answer does not verify; try again") => new AppError("passkey_invalid", message, { reason });

function relyingParty(deps: Deps): { rpID: string; origins: string[] } {
  const base = new URL(deps.publicUrl.get());
  return { rpID: deps.config.webauthnRpId ?? base.hostname, origins: [base.origin, ...(deps.config.webauthnOrigins ?? [])] };
}

function toPasskey(r: PasskeysTable): Passkey {
  return {
    id: r.id,
    name: r.name,
    createdAt: Number(r.created_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    backedUp: Boolean(Number(r.backed_up)),
  };
}

function passkeysOf(q: Db | Tx, userId: string): Promise<PasskeysTable[]> {
  return q.selectFrom("passkeys").selectAll().where("user_id", "=", userId).orderBy("created_at").execute();
}

async function storeChallenge(
  deps: Deps,
  a: { challenge: string; purpose: WebauthnChallengesTable["purpose"]; orgId: string; userId: string | null },
): Promise<string> {
  const id = newId("wac");
  await runCommand(deps, null, "accounts.webauthnChallenge", async (tx) => {
    await tx
      .insertInto("webauthn_challenges")
      .values({ id, challenge: a.challenge, purpose: a.purpose, org_id: a.orgId, user_id: a.userId, expires_at: deps.now() + CEREMONY_TTL_MS, used_at: null })
      .execute();
  });
  return id;
}

/** Claim a ceremony's challenge (inside `tx`): it works once, before it expires, for its purpose. */
async function claimChallenge(tx: Tx, deps: Deps, id: string, purpose: WebauthnChallengesTable["purpose"]): Promise<WebauthnChallengesTable> {
  const row = await tx.selectFrom("webauthn_challenges").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row || row.purpose !== purpose || row.used_at !== null || Number(row.expires_at) <= deps.now()) {
    throw passkeyInvalid("challenge", "this passkey prompt expired or was already answered; start again");
  }
  const r = await tx.updateTable("webauthn_challenges").set({ used_at: deps.now() }).where("id", "=", id).where("used_at", "is", null).executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw passkeyInvalid("challenge", "this passkey prompt was already answered; start again");
  return row;
}

// ---- registration --------------------------------------------------------------------

export async function passkeyRegistrationOptions(
  deps: Deps,
  p: DeviceActor,
  ip: string,
  currentPassword: string,
): Promise<{ challengeId: string; options: Record<string, unknown> }> {
  const { user, org } = await reauthenticate(deps, p, ip, currentPassword, "passkey.register");
  const existing = await passkeysOf(deps.db, p.userId);
  const { rpID } = relyingParty(deps);
  const options = await generateRegistrationOptions({
    rpName: `Parley (${org.name})`,
    rpID,
    userName: `${user.username}@${org.slug}`,
    userDisplayName: user.display_name,
    userID: new TextEncoder().encode(user.id),
    attestationType: "none",
    excludeCredentials: existing.map((k) => ({ id: k.id, transports: JSON.parse(k.transports) as string[] })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
  });
  const challengeId = await storeChallenge(deps, { challenge: options.challenge, purpose: "register", orgId: p.orgId, userId: p.userId });
  return { challengeId, options: options as unknown as Record<string, unknown> };
}

export async function registerPasskey(
  deps: Deps,
  p: DeviceActor,
  input: { challengeId: string; name: string; response: Record<string, unknown> },
): Promise<Passkey> {
  const { rpID, origins } = relyingParty(deps);
  return runCommand(deps, p, "accounts.registerPasskey", async (tx, fx) => {
    const ch = await claimChallenge(tx, deps, input.challengeId, "register");
    if (ch.user_id !== p.userId) throw passkeyInvalid("challenge");
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response: input.response as unknown as RegistrationResponseJSON,
        expectedChallenge: ch.challenge,
        expectedOrigin: origins,
        expectedRPID: rpID,
        requireUserVerification: true,
      });
    } catch (err) {
      throw passkeyInvalid("verification", `the passkey could not be registered: ${(err as Error).message}`);
    }
    if (!verified.verified) throw passkeyInvalid("verification");
    const { credential, credentialBackedUp } = verified.registrationInfo;
    if (await tx.selectFrom("passkeys").select("id").where("id", "=", credential.id).executeTakeFirst()) {
      throw passkeyInvalid("verification", "this passkey is already registered");
    }
    const row: PasskeysTable = {
      id: credential.id,
      org_id: p.orgId,
      user_id: p.userId,
      name: input.name,
      public_key: credential.publicKey,
      counter: credential.counter,
      transports: JSON.stringify(credential.transports ?? []),
      backed_up: credentialBackedUp ? 1 : 0,
      created_at: deps.now(),
      last_used_at: null,
    };
    await tx.insertInto("passkeys").values(row).execute();
    // A passkey is a second factor: an org's MFA requirement is met.
    await tx.updateTable("sessions").set({ restriction: null }).where("user_id", "=", p.userId).where("restriction", "is not", null).execute();
    fx.audit({ action: "mfa.passkey.added", target: { kind: "user", id: p.userId }, result: "success", details: { backedUp: credentialBackedUp } });
    const user = await getUserInOrg(tx, p.orgId, p.userId);
    if (user?.email) {
      const org = await getOrg(tx, p.orgId);
      await queueMail(deps, fx, mails.mfaChanged(user.email, { orgName: org.name, username: user.username, change: "passkey_added" }));
    }
    return toPasskey(row);
  });
}

export async function listPasskeys(deps: Deps, p: DeviceActor): Promise<Passkey[]> {
  return (await passkeysOf(deps.db, p.userId)).map(toPasskey);
}

export async function renamePasskey(deps: Deps, p: DeviceActor, id: string, name: string): Promise<Passkey> {
  return runCommand(deps, p, "accounts.renamePasskey", async (tx, fx) => {
    const row = await tx.selectFrom("passkeys").selectAll().where("id", "=", id).where("user_id", "=", p.userId).executeTakeFirst();
    if (!row) throw notFound("passkey");
    await tx.updateTable("passkeys").set({ name }).where("id", "=", id).execute();
    fx.audit({ action: "mfa.passkey.renamed", target: { kind: "user", id: p.userId }, result: "success" });
    return toPasskey({ ...row, name });
  });
}

export async function deletePasskey(deps: Deps, p: DeviceActor, id: string): Promise<void> {
  await runCommand(deps, p, "accounts.deletePasskey", async (tx, fx) => {
    const row = await tx.selectFrom("passkeys").select("id").where("id", "=", id).where("user_id", "=", p.userId).executeTakeFirst();
    if (!row) throw notFound("passkey");
    const user = await getUserInOrg(tx, p.orgId, p.userId);
    if (!user) throw notFound("user");
    const others = (await passkeysOf(tx, p.userId)).length - 1;
    const totp = await tx.selectFrom("user_mfa").select("totp_enabled_at").where("user_id", "=", p.userId).executeTakeFirst();
    if (others === 0 && !totp?.totp_enabled_at && mfaDeadline(await mfaPolicyOf(tx, p.orgId), user) !== null) {
      throw new AppError("forbidden", "your organisation requires a second factor and this passkey is your last one: add another first");
    }
    await tx.deleteFrom("passkeys").where("id", "=", id).execute();
    fx.audit({ action: "mfa.passkey.removed", target: { kind: "user", id: p.userId }, result: "success" });
    if (user.email) {
      const org = await getOrg(tx, p.orgId);
      await queueMail(deps, fx, mails.mfaChanged(user.email, { orgName: org.name, username: user.username, change: "passkey_removed" }));
    }
  });
}

// ---- authentication (passwordless, or as a second factor) ------------------------------

/** Request options: discoverable (any passkey of the org's users) for sign-in, the user's own for a second factor. */
export async function authenticationOptions(
  deps: Deps,
  a: { orgId: string; userId: string | null },
): Promise<{ challengeId: string; options: Record<string, unknown> }> {
  const { rpID } = relyingParty(deps);
  const allow = a.userId ? (await passkeysOf(deps.db, a.userId)).map((k) => ({ id: k.id, transports: JSON.parse(k.transports) as string[] })) : undefined;
  const options = await generateAuthenticationOptions({
    rpID,
    userVerification: a.userId ? "preferred" : "required",
    ...(allow ? { allowCredentials: allow } : {}),
  });
  const challengeId = await storeChallenge(deps, { challenge: options.challenge, purpose: a.userId ? "mfa" : "sign_in", orgId: a.orgId, userId: a.userId });
  return { challengeId, options: options as unknown as Record<string, unknown> };
}

/** The second-step ceremony a response answers (its challenge, as the client saw it, names it). */
async function mfaCeremonyOf(tx: Tx, response: AuthenticationResponseJSON, userId: string): Promise<string> {
  let challenge: unknown;
  try {
    challenge = (JSON.parse(Buffer.from(response.response.clientDataJSON, "base64url").toString("utf8")) as { challenge?: unknown }).challenge;
  } catch {
    throw passkeyInvalid("challenge");
  }
  if (typeof challenge !== "string") throw passkeyInvalid("challenge");
  const row = await tx
    .selectFrom("webauthn_challenges")
    .select("id")
    .where("challenge", "=", challenge)
    .where("purpose", "=", "mfa")
    .where("user_id", "=", userId)
    .executeTakeFirst();
  if (!row) throw passkeyInvalid("challenge", "this passkey prompt expired or was already answered; start again");
  return row.id;
}

/**
 * Check an authentication response (inside `tx`): the challenge is claimed, the credential is
 * one of the org's (and the expected user's, for a second factor), the signature verifies and
 * the counter moves on. Returns the credential's row.
 */
export async function verifyPasskeyAssertion(
  tx: Tx,
  deps: Deps,
  a: { challengeId?: string; purpose: "sign_in" | "mfa"; response: Record<string, unknown>; userId?: string },
): Promise<PasskeysTable> {
  const response = a.response as unknown as AuthenticationResponseJSON;
  const ch = await claimChallenge(tx, deps, a.challengeId ?? (await mfaCeremonyOf(tx, response, a.userId ?? "")), a.purpose);
  const key = typeof response.id === "string" ? await tx.selectFrom("passkeys").selectAll().where("id", "=", response.id).executeTakeFirst() : undefined;
  if (!key || key.org_id !== ch.org_id) throw passkeyInvalid("unknown_credential", "this passkey is not registered in this organisation");
  if (a.purpose === "mfa" && (key.user_id !== ch.user_id || key.user_id !== a.userId))
    throw passkeyInvalid("wrong_user", "this passkey belongs to another account");
  // A discoverable sign-in names the account twice (credential and user handle): they must agree.
  const handle = response.response?.userHandle;
  if (a.purpose === "sign_in" && handle !== undefined && Buffer.from(handle, "base64url").toString("utf8") !== key.user_id) {
    throw passkeyInvalid("wrong_user", "this passkey belongs to another account");
  }
  const { rpID, origins } = relyingParty(deps);
  let result;
  try {
    result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: ch.challenge,
      expectedOrigin: origins,
      expectedRPID: rpID,
      credential: { id: key.id, publicKey: new Uint8Array(key.public_key), counter: Number(key.counter), transports: JSON.parse(key.transports) as never },
      requireUserVerification: a.purpose === "sign_in",
    });
  } catch (err) {
    const msg = (err as Error).message;
    throw passkeyInvalid(/user verif/i.test(msg) ? "user_verification" : "verification", `the passkey's answer does not verify: ${msg}`);
  }
  if (!result.verified) throw passkeyInvalid("verification");
  await tx
    .updateTable("passkeys")
    .set({ counter: result.authenticationInfo.newCounter, last_used_at: deps.now(), backed_up: result.authenticationInfo.credentialBackedUp ? 1 : 0 })
    .where("id", "=", key.id)
    .execute();
  return key;
}
