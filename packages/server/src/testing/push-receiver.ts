/**
 * A Web Push receiver for tests, on 127.0.0.1: it plays both the browser (it makes each
 * subscription's P-256 key pair and auth secret, as PushManager.subscribe() does) and the push
 * service (it accepts the server's POSTs). Every request is checked as a push service and a
 * user agent would: the VAPID JWT (RFC 8292: ES256 signature under the `k` key, which must be
 * the server's; `aud` the endpoint's origin; `exp` in the future and at most 24 h away), then
 * the body decrypted as RFC 8291 `aes128gcm` with node:crypto. What it received is recorded;
 * the status it answers is settable (201 by default; 410 to expire a subscription, 500 to fail).
 */
import http from "node:http";
import crypto from "node:crypto";
import { freePort } from "./ports.ts";

export interface ReceivedPush {
  /** Subscription name (the last path segment). */
  name: string;
  /** The decrypted body (undefined if the request failed a check; see `error`). */
  plaintext?: string;
  /** The VAPID JWT's claims. */
  claims?: { aud: string; exp: number; sub: string };
  /** Header values the server sent. */
  ttl: string | undefined;
  urgency: string | undefined;
  /** The first check that failed. */
  error?: string;
  /** What the receiver answered. */
  status: number;
}

export interface TestSubscription {
  name: string;
  endpoint: string;
  /** As PushSubscription.toJSON().keys: the public key (uncompressed point) and the auth secret, base64url. */
  keys: { p256dh: string; auth: string };
}

export interface PushReceiver {
  url: string;
  received: ReceivedPush[];
  /** Pushes that passed every check. */
  accepted(): ReceivedPush[];
  /** A new subscription with fresh keys, as a browser would make it. */
  subscribe(name?: string): TestSubscription;
  /** The status to answer from now on (201 when unset). */
  answer(status: number): void;
  close(): Promise<void>;
}

const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");

/** The server's VAPID public key (uncompressed point, base64url) as a KeyObject. */
function p256Key(point: Buffer): crypto.KeyObject {
  if (point.length !== 65 || point[0] !== 4) throw new Error("the VAPID key is not an uncompressed P-256 point");
  return crypto.createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)) }, format: "jwk" });
}

/** Check the `Authorization: vapid t=…, k=…` header; returns the claims or throws naming the failed check. */
function checkVapid(header: string | undefined, serverKey: string, origin: string): { aud: string; exp: number; sub: string } {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? "");
  if (!m) throw new Error(`no vapid authorization: ${header}`);
  const [token, k] = [m[1]!, m[2]!];
  if (k !== serverKey) throw new Error("k is not the server's VAPID key");
  const [h, p, s] = token.split(".");
  if (!h || !p || !s) throw new Error("malformed JWT");
  const head = JSON.parse(Buffer.from(h, "base64url").toString()) as { alg?: string };
  if (head.alg !== "ES256") throw new Error(`alg ${head.alg}`);
  const ok = crypto.verify(
    "sha256",
    Buffer.from(`${h}.${p}`),
    { key: p256Key(Buffer.from(k, "base64url")), dsaEncoding: "ieee-p1363" },
    Buffer.from(s, "base64url"),
  );
  if (!ok) throw new Error("bad JWT signature");
  const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as { aud: string; exp: number; sub: string };
  if (claims.aud !== origin) throw new Error(`aud ${claims.aud} is not ${origin}`);
  const now = Math.floor(Date.now() / 1000);
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) throw new Error(`exp ${claims.exp} out of bounds`);
  if (!/^(mailto:|https:)/.test(claims.sub ?? "")) throw new Error(`sub ${claims.sub}`);
  return claims;
}

/** Decrypt an RFC 8291 aes128gcm body (one record) with the subscription's private key and auth secret. */
function decrypt(body: Buffer, ua: crypto.ECDH, auth: Buffer): string {
  if (body.length < 21 + 65 + 17) throw new Error("body too short");
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  if (idlen !== 65) throw new Error(`keyid length ${idlen}`);
  const asPublic = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  if (record.length > rs) throw new Error("more than one record");
  const uaPublic = ua.getPublicKey();
  const ecdhSecret = ua.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), uaPublic, asPublic]);
  const ikm = Buffer.from(crypto.hkdfSync("sha256", ecdhSecret, auth, keyInfo, 32));
  const cek = Buffer.from(crypto.hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(crypto.hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const decipher = crypto.createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error("no last-record delimiter");
  return padded.subarray(0, end).toString("utf8");
}

/** Start a receiver that expects pushes signed with `serverKey` (GET /push/vapid-key). */
export async function startPushReceiver(serverKey: string): Promise<PushReceiver> {
  const subs = new Map<string, { ua: crypto.ECDH; auth: Buffer }>();
  const received: ReceivedPush[] = [];
  let status = 201;
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const name = (req.url ?? "").split("/").pop() ?? "";
      const rec: ReceivedPush = { name, ttl: req.headers.ttl as string | undefined, urgency: req.headers.urgency as string | undefined, status };
      try {
        const sub = subs.get(name);
        if (req.method !== "POST" || !sub) throw new Error(`unknown subscription ${req.method} ${req.url}`);
        if (req.headers["content-encoding"] !== "aes128gcm") throw new Error(`content-encoding ${req.headers["content-encoding"]}`);
        rec.claims = checkVapid(req.headers.authorization, serverKey, origin);
        rec.plaintext = decrypt(Buffer.concat(chunks), sub.ua, sub.auth);
      } catch (err) {
        rec.error = (err as Error).message;
        rec.status = 400;
      }
      received.push(rec);
      res.writeHead(rec.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  let n = 0;
  return {
    url: origin,
    received,
    accepted: () => received.filter((r) => !r.error && r.status >= 200 && r.status < 300),
    subscribe(name = `sub-${++n}`) {
      const ua = crypto.createECDH("prime256v1");
      ua.generateKeys();
      const auth = crypto.randomBytes(16);
      subs.set(name, { ua, auth });
      return { name, endpoint: `${origin}/push/${name}`, keys: { p256dh: b64u(ua.getPublicKey()), auth: b64u(auth) } };
    },
    answer(s) {
      status = s;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
