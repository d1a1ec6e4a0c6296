/**
 * Access tokens: short-lived EdDSA (Ed25519) JWTs, verified locally by any
 * node with the public keys published at /api/v1/auth/jwks. The signing key
 * lives in `server_keys` so every node of a cluster shares it; its private
 * JWK is sealed by platform/kms (under the server-wide data key). A rotation
 * (rotateJwtKey) makes a new key active while the old one keeps verifying for
 * an overlap window; nodes pick both up within PARLEY_KEY_REFRESH_SECONDS, and
 * at once when they meet a token signed with a key they do not know.
 */
import { SignJWT, jwtVerify, generateKeyPair, exportJWK, importJWK, errors as joseErrors, type JWK, type CryptoKey } from "jose";
import type { Db } from "../../platform/db/index.ts";
import type { Kms } from "../../platform/kms/index.ts";
import { newId } from "../../platform/ids.ts";
import { AppError } from "../../core/errors.ts";

export interface AccessClaims {
  sub: string; // user id
  org: string;
  dev: string;
  sid: string;
}

export interface TokenKeys {
  /** The active signing key's id (server_keys row). */
  kid: string;
  privateKey: CryptoKey;
  /**
   * Verification keys by kid: the active one, and those a rotation retired whose overlap
   * has not ended (`until`, ms; null while active). JWKS publishes the same set.
   */
  publicKeys: Map<string, { key: CryptoKey; jwk: JWK; until: number | null }>;
  /**
   * Tokens whose signature already verified, with their claims, expiry (ms) and key.
   * A signature check is a WebCrypto job (~1/6 of an authenticated request's CPU);
   * a token's claims cannot change, so checking it once is enough. Revocation is
   * unaffected: resolvePrincipal() still reads the session on every call.
   */
  verified: Map<string, { claims: AccessClaims; expMs: number; kid: string }>;
  /** When server_keys was last read (ms). */
  loadedAt: number;
  /**
   * Re-read server_keys (`parley keys rotate --signing jwt` elsewhere) if the keys are older
   * than PARLEY_KEY_REFRESH_SECONDS, or with `force` (an unknown kid; at most once a second).
   */
  refresh(nowMs: number, force?: boolean): Promise<void>;
}

/** Most verified tokens remembered (oldest forgotten first). */
const VERIFIED_CACHE_MAX = 10_000;

const ISSUER = "parley";
const AUDIENCE = "parley-api";

const sealContext = (id: string) => `server_keys/${id}/jwt`;

/** A new signing key's row, its private JWK sealed under the server's data key (`id` is for tests). */
export async function newKeyRow(kms: Kms, now: number, id = newId("key")) {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const pub = { ...(await exportJWK(publicKey)), kid: id, alg: "EdDSA", use: "sig" };
  const priv = { ...(await exportJWK(privateKey)), kid: id, alg: "EdDSA" };
  return {
    id,
    purpose: "jwt",
    public_jwk: JSON.stringify(pub),
    private_jwk: await kms.seal(new TextEncoder().encode(JSON.stringify(priv)), sealContext(id)),
    created_at: now,
    retired_at: null,
  };
}

/** The keys that verify at `now`: the active ones (retired_at null) and those still in their overlap. */
const verifyingRows = (db: Db, now: number) =>
  db
    .selectFrom("server_keys")
    .selectAll()
    .where("purpose", "=", "jwt")
    .where((eb) => eb.or([eb("retired_at", "is", null), eb("retired_at", ">", now)]))
    // The database's order, as `parley keys status` and the other signing keys use
    // (platform/kms/signing-keys.ts): a tie on created_at is broken the same way everywhere.
    .orderBy("created_at")
    .orderBy("id")
    .execute();

/** Load the signing and verification keys, creating the signing key on first boot; they refresh themselves (TokenKeys.refresh). */
export async function loadTokenKeys(db: Db, now: number, kms: Kms, refreshMs = 30_000): Promise<TokenKeys> {
  let running: Promise<void> | undefined;
  let lastForced = 0;
  const reload = async (nowMs: number) => {
    let rows = await verifyingRows(db, nowMs);
    if (!rows.some((r) => r.retired_at === null)) {
      // Two nodes booting at once may both insert; the oldest wins below.
      await db
        .insertInto("server_keys")
        .values(await newKeyRow(kms, nowMs))
        .execute();
      rows = await verifyingRows(db, nowMs);
    }
    const active = rows.find((r) => r.retired_at === null)!;
    if (active.id !== keys.kid) {
      keys.privateKey = (await importJWK(JSON.parse(await openPrivateJwk(db, kms, active)) as JWK, "EdDSA")) as CryptoKey;
      keys.kid = active.id;
    }
    const next: TokenKeys["publicKeys"] = new Map();
    for (const r of rows) {
      const jwk = JSON.parse(r.public_jwk) as JWK;
      next.set(r.id, { key: keys.publicKeys.get(r.id)?.key ?? ((await importJWK(jwk, "EdDSA")) as CryptoKey), jwk, until: r.retired_at });
    }
    keys.publicKeys = next;
    keys.loadedAt = nowMs;
  };
  const keys: TokenKeys = {
    kid: "",
    privateKey: undefined as unknown as CryptoKey,
    publicKeys: new Map(),
    verified: new Map(),
    loadedAt: now,
    refresh(nowMs, force = false) {
      if (force ? nowMs - lastForced < 1000 : Math.abs(nowMs - keys.loadedAt) < refreshMs) return running ?? Promise.resolve();
      if (force) lastForced = nowMs;
      running ??= reload(nowMs).finally(() => (running = undefined));
      return running;
    },
  };
  await reload(now);
  return keys;
}

/**
 * `parley keys rotate --signing jwt`: a new signing key becomes the active one; the old
 * ones keep verifying (and stay in the JWKS) for `overlapMs`, then drop out.
 */
export async function rotateJwtKey(db: Db, kms: Kms, now: number, overlapMs: number): Promise<{ id: string; previous: string[]; verifiesUntil: number }> {
  const row = await newKeyRow(kms, now);
  const verifiesUntil = now + overlapMs;
  const previous = await db.transaction().execute(async (tx) => {
    const old = await tx.selectFrom("server_keys").select("id").where("purpose", "=", "jwt").where("retired_at", "is", null).execute();
    await tx.insertInto("server_keys").values(row).execute();
    await tx
      .updateTable("server_keys")
      .set({ retired_at: verifiesUntil })
      .where("purpose", "=", "jwt")
      .where("retired_at", "is", null)
      .where("id", "!=", row.id)
      .execute();
    return old.map((r) => r.id);
  });
  return { id: row.id, previous, verifiesUntil };
}

/** The JWKS to publish at `now` (GET /auth/jwks). */
export function publishedJwks(keys: TokenKeys, nowMs: number): JWK[] {
  keys.refresh(nowMs).catch(() => undefined); // in the background; a failure is retried next time
  return [...keys.publicKeys.values()].filter((k) => k.until === null || k.until > nowMs).map((k) => k.jwk);
}

// Keys written before the KMS existed hold a plaintext JWK, and keys sealed before per-org
// data keys the older format: seal either (again) in place on first load.
async function openPrivateJwk(db: Db, kms: Kms, row: { id: string; private_jwk: string }): Promise<string> {
  const plain = kms.isSealed(row.private_jwk) ? new TextDecoder().decode(await kms.open(row.private_jwk, sealContext(row.id))) : row.private_jwk;
  if (kms.isSealed(row.private_jwk) && !kms.isLegacy(row.private_jwk)) return plain;
  const sealed = await kms.seal(new TextEncoder().encode(plain), sealContext(row.id));
  await db.updateTable("server_keys").set({ private_jwk: sealed }).where("id", "=", row.id).where("private_jwk", "=", row.private_jwk).execute();
  return plain;
}

export async function signAccessToken(keys: TokenKeys, claims: AccessClaims, ttlSeconds: number, nowMs: number): Promise<string> {
  // In the background: a rotation elsewhere is picked up for the next token.
  keys.refresh(nowMs).catch(() => undefined);
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ org: claims.org, dev: claims.dev, sid: claims.sid })
    .setProtectedHeader({ alg: "EdDSA", kid: keys.kid, typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(keys.privateKey);
}

/** Verify signature, issuer, audience and expiry; throws unauthorized/token_expired. */
export async function verifyAccessToken(keys: TokenKeys, token: string, nowMs: number): Promise<AccessClaims> {
  keys.refresh(nowMs).catch(() => undefined);
  const hit = keys.verified.get(token);
  if (hit && usable(keys, hit.kid, nowMs)) {
    if (hit.expMs > nowMs) return hit.claims;
    keys.verified.delete(token);
    throw new AppError("token_expired", "access token expired; refresh it");
  }
  if (hit) keys.verified.delete(token);
  const claims = await verifySignedToken(keys, token, nowMs);
  if (keys.verified.size >= VERIFIED_CACHE_MAX) keys.verified.delete(keys.verified.keys().next().value!);
  keys.verified.set(token, { claims, expMs: claims.expMs, kid: claims.kid });
  return claims;
}

/** Whether the key `kid` still verifies at `nowMs`. */
function usable(keys: TokenKeys, kid: string, nowMs: number): boolean {
  const k = keys.publicKeys.get(kid);
  return k !== undefined && (k.until === null || k.until > nowMs);
}

async function verifySignedToken(keys: TokenKeys, token: string, nowMs: number): Promise<AccessClaims & { expMs: number; kid: string }> {
  try {
    let kid = "";
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        kid = header.kid ?? "";
        // A key this node has not seen yet: another node may have rotated; read server_keys once.
        if (kid && !keys.publicKeys.has(kid)) await keys.refresh(nowMs, true);
        if (!kid || !usable(keys, kid, nowMs)) throw new AppError("unauthorized", "unknown or retired signing key");
        return keys.publicKeys.get(kid)!.key;
      },
      { issuer: ISSUER, audience: AUDIENCE, algorithms: ["EdDSA"], currentDate: new Date(nowMs) },
    );
    const { sub, org, dev, sid, exp } = payload as Record<string, unknown>;
    if (typeof sub !== "string" || typeof org !== "string" || typeof dev !== "string" || typeof sid !== "string" || typeof exp !== "number") {
      throw new AppError("unauthorized", "malformed access token");
    }
    return { sub, org, dev, sid, expMs: exp * 1000, kid };
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new AppError("token_expired", "access token expired; refresh it");
    throw new AppError("unauthorized", "invalid access token");
  }
}
