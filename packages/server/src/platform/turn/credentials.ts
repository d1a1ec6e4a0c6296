/**
 * TURN credentials in coturn's REST API scheme (`use-auth-secret`): the username is
 * `<expiry unix seconds>:<opaque user ref>` and the password is base64(HMAC-SHA1(shared secret,
 * username)). coturn recomputes the HMAC with its `static-auth-secret` and refuses the
 * allocation once the expiry has passed, so Parley never has to tell coturn about users.
 */
import crypto from "node:crypto";

/** One ICE server entry as RTCPeerConnection takes it. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** What the TURN settings need (a slice of Config). */
export interface TurnSettings {
  turnServer?: string | undefined;
  turnTlsServer?: string | undefined;
  turnSecret?: string | undefined;
  turnCredentialTtl: number;
}

/** A minted credential. */
export interface TurnCredential {
  username: string;
  credential: string;
  /** Unix ms after which coturn refuses new allocations with it. */
  expiresAt: number;
}

/**
 * The user part of the username: coturn logs usernames, so it carries no user id, only a stable
 * keyed digest of it (the same user maps to the same ref, so coturn's per-user quota still works).
 */
export function opaqueUserRef(secret: string, userId: string): string {
  return crypto.createHmac("sha256", secret).update(`parley-turn-user:${userId}`).digest("base64url").slice(0, 22);
}

/** Mint a credential valid for `ttlSeconds` from `nowMs`. */
export function mintTurnCredential(secret: string, userRef: string, ttlSeconds: number, nowMs = Date.now()): TurnCredential {
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiry}:${userRef}`;
  const credential = crypto.createHmac("sha1", secret).update(username).digest("base64");
  return { username, credential, expiresAt: expiry * 1000 };
}

/**
 * The ICE servers for one user: STUN, TURN over UDP and TCP on PARLEY_TURN_SERVER, and TURN over
 * TLS on PARLEY_TURN_TLS_SERVER when set. Null when no TURN server is configured.
 */
export function iceServersFor(settings: TurnSettings, userId: string, nowMs = Date.now()): { iceServers: IceServer[]; expiresAt: number } | null {
  const { turnServer, turnTlsServer, turnSecret } = settings;
  if (!turnServer || !turnSecret) return null;
  const cred = mintTurnCredential(turnSecret, opaqueUserRef(turnSecret, userId), settings.turnCredentialTtl, nowMs);
  const turnUrls = [`turn:${turnServer}?transport=udp`, `turn:${turnServer}?transport=tcp`];
  if (turnTlsServer) turnUrls.push(`turns:${turnTlsServer}?transport=tcp`);
  return {
    iceServers: [{ urls: [`stun:${turnServer}`] }, { urls: turnUrls, username: cred.username, credential: cred.credential }],
    expiresAt: cred.expiresAt,
  };
}
