/**
 * The authorization server's secrets: an ES256 signing key (oidc-provider signs ID tokens and
 * publishes its JWKS with it) and the keys that sign its cookies. Made on first use and kept in
 * `meta`, sealed by platform/kms (server-wide data key), so every node of a cluster signs and
 * checks cookies with the same keys and flows survive a restart.
 */
import crypto from "node:crypto";
import type { Deps } from "../../context.ts";
import { oncePerServer } from "../../core/once-per-server.ts";

const META_KEY = "oauth.keys";
const SEAL_CONTEXT = "meta/oauth.keys";

export interface OAuthKeys {
  /** Private JWK (ES256) with its kid. Never log or return it. */
  signingKey: Record<string, unknown>;
  /** Cookie signing keys (base64url). */
  cookieKeys: string[];
}

function freshKeys(): OAuthKeys {
  const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = privateKey.export({ format: "jwk" });
  return {
    signingKey: { ...jwk, kid: crypto.randomBytes(8).toString("hex"), alg: "ES256", use: "sig" },
    cookieKeys: [crypto.randomBytes(32).toString("base64url")],
  };
}

async function loadOrCreate(deps: Deps): Promise<OAuthKeys> {
  const read = () => deps.db.selectFrom("meta").select("value").where("key", "=", META_KEY).executeTakeFirst();
  let row = await read();
  if (!row) {
    const sealed = await deps.kms.seal(Buffer.from(JSON.stringify(freshKeys())), SEAL_CONTEXT);
    // Two nodes starting at once may both try: the first insert wins and both read it back.
    await deps.db
      .insertInto("meta")
      .values({ key: META_KEY, value: JSON.stringify({ sealed }) })
      .onConflict((oc) => oc.column("key").doNothing())
      .execute();
    row = await read();
    if (!row) throw new Error("the OAuth keys could not be stored");
  }
  const { sealed } = JSON.parse(row.value) as { sealed: string };
  return JSON.parse(Buffer.from(await deps.kms.open(sealed, SEAL_CONTEXT)).toString("utf8")) as OAuthKeys;
}

/** The keys, created on first use. */
export const oauthKeys = oncePerServer(loadOrCreate);
