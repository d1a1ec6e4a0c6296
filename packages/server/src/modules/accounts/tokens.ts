/**
 * Access tokens: short-lived EdDSA (Ed25519) JWTs, verified locally by any
 * node with the public keys published at /api/v1/auth/jwks. The signing key
 * lives in `server_keys` so every node of a cluster shares it; its private
 * JWK is sealed by platform/kms (envelope encryption under the master key).
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
  kid: string;
  privateKey: CryptoKey;
  publicKeys: Map<string, CryptoKey>;
  jwks: JWK[];
  /**
   * Tokens whose signature already verified, with their claims and expiry (ms).
   * A signature check is a WebCrypto job (~1/6 of an authenticated request's CPU);
   * a token's claims cannot change, so checking it once is enough. Revocation is
   * unaffected: resolvePrincipal() still reads the session on every call.
   */
  verified: Map<string, { claims: AccessClaims; expMs: number }>;
}

/** Most verified tokens remembered (oldest forgotten first). */
const VERIFIED_CACHE_MAX = 10_000;

const ISSUER = "parley";
const AUDIENCE = "parley-api";

/** Load the active signing key, creating one on first boot. */
export async function loadTokenKeys(db: Db, now: number, kms: Kms): Promise<TokenKeys> {
  let rows = await db.selectFrom("server_keys").selectAll().where("purpose", "=", "jwt").where("retired_at", "is", null).execute();
  if (rows.length === 0) {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const id = newId("key");
    const pub = { ...(await exportJWK(publicKey)), kid: id, alg: "EdDSA", use: "sig" };
    const priv = { ...(await exportJWK(privateKey)), kid: id, alg: "EdDSA" };
    // Two nodes booting at once may both insert; the one with the lowest id wins below.
    await db
      .insertInto("server_keys")
      .values({
        id,
        purpose: "jwt",
        public_jwk: JSON.stringify(pub),
        private_jwk: await kms.seal(new TextEncoder().encode(JSON.stringify(priv)), sealContext(id)),
        created_at: now,
        retired_at: null,
      })
      .execute();
    rows = await db.selectFrom("server_keys").selectAll().where("purpose", "=", "jwt").where("retired_at", "is", null).execute();
  }
  rows.sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
  const active = rows[0]!;
  const publicKeys = new Map<string, CryptoKey>();
  const jwks: JWK[] = [];
  for (const r of rows) {
    const jwk = JSON.parse(r.public_jwk) as JWK;
    publicKeys.set(r.id, (await importJWK(jwk, "EdDSA")) as CryptoKey);
    jwks.push(jwk);
  }
  const privateKey = (await importJWK(JSON.parse(await openPrivateJwk(db, kms, active)) as JWK, "EdDSA")) as CryptoKey;
  return { kid: active.id, privateKey, publicKeys, jwks, verified: new Map() };
}

const sealContext = (id: string) => `server_keys/${id}/jwt`;

// Keys written before the KMS existed hold a plaintext JWK: seal it in place on first load.
async function openPrivateJwk(db: Db, kms: Kms, row: { id: string; private_jwk: string }): Promise<string> {
  if (kms.isSealed(row.private_jwk)) return new TextDecoder().decode(await kms.open(row.private_jwk, sealContext(row.id)));
  const sealed = await kms.seal(new TextEncoder().encode(row.private_jwk), sealContext(row.id));
  await db.updateTable("server_keys").set({ private_jwk: sealed }).where("id", "=", row.id).where("private_jwk", "=", row.private_jwk).execute();
  return row.private_jwk;
}

export async function signAccessToken(keys: TokenKeys, claims: AccessClaims, ttlSeconds: number, nowMs: number): Promise<string> {
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
  const hit = keys.verified.get(token);
  if (hit) {
    if (hit.expMs > nowMs) return hit.claims;
    keys.verified.delete(token);
    throw new AppError("token_expired", "access token expired; refresh it");
  }
  const claims = await verifySignedToken(keys, token, nowMs);
  if (keys.verified.size >= VERIFIED_CACHE_MAX) keys.verified.delete(keys.verified.keys().next().value!);
  keys.verified.set(token, { claims, expMs: claims.expMs });
  return claims;
}

async function verifySignedToken(keys: TokenKeys, token: string, nowMs: number): Promise<AccessClaims & { expMs: number }> {
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = header.kid ? keys.publicKeys.get(header.kid) : undefined;
        if (!key) throw new AppError("unauthorized", "unknown signing key");
        return key;
      },
      { issuer: ISSUER, audience: AUDIENCE, algorithms: ["EdDSA"], currentDate: new Date(nowMs) },
    );
    const { sub, org, dev, sid, exp } = payload as Record<string, unknown>;
    if (typeof sub !== "string" || typeof org !== "string" || typeof dev !== "string" || typeof sid !== "string" || typeof exp !== "number") {
      throw new AppError("unauthorized", "malformed access token");
    }
    return { sub, org, dev, sid, expMs: exp * 1000 };
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new AppError("token_expired", "access token expired; refresh it");
    throw new AppError("unauthorized", "invalid access token");
  }
}
