/**
 * The deployment's VAPID key pair (RFC 8292): one P-256 key pair, made on first use and kept in
 * `meta` with its private half sealed by platform/kms (server-wide data key), so every node of a
 * cluster signs with the same key and browsers' subscriptions stay valid across restarts.
 */
import crypto from "node:crypto";
import type { Deps } from "../../context.ts";
import { oncePerServer } from "../../core/once-per-server.ts";

const META_KEY = "push.vapid";
const SEAL_CONTEXT = "meta/push.vapid";

export interface VapidKeys {
  /** Uncompressed P-256 point, base64url (what PushManager.subscribe() takes as applicationServerKey). */
  publicKey: string;
  /** The 32-byte private scalar, base64url. Never log or return it. */
  privateKey: string;
}

function newKeyPair(): VapidKeys {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pub = publicKey.export({ format: "jwk" });
  const priv = privateKey.export({ format: "jwk" });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(pub.x!, "base64url"), Buffer.from(pub.y!, "base64url")]);
  return { publicKey: point.toString("base64url"), privateKey: priv.d! };
}

async function loadOrCreate(deps: Deps): Promise<VapidKeys> {
  const read = () => deps.db.selectFrom("meta").select("value").where("key", "=", META_KEY).executeTakeFirst();
  let row = await read();
  if (!row) {
    const fresh = newKeyPair();
    const sealed = await deps.kms.seal(Buffer.from(fresh.privateKey, "base64url"), SEAL_CONTEXT);
    // Two nodes starting at once may both try: the first insert wins and both read it back.
    await deps.db
      .insertInto("meta")
      .values({ key: META_KEY, value: JSON.stringify({ publicKey: fresh.publicKey, privateKey: sealed }) })
      .onConflict((oc) => oc.column("key").doNothing())
      .execute();
    row = await read();
    if (!row) throw new Error("the VAPID key pair could not be stored");
  }
  const stored = JSON.parse(row.value) as { publicKey: string; privateKey: string };
  const priv = await deps.kms.open(stored.privateKey, SEAL_CONTEXT);
  return { publicKey: stored.publicKey, privateKey: Buffer.from(priv).toString("base64url") };
}

/** The VAPID keys, created on first use; loaded once per server, so the sealed half is opened once per process. */
export const vapidKeys = oncePerServer(loadOrCreate);
