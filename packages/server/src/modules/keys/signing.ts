/**
 * `parley keys rotate --signing jwt|audit` and the signing-key half of `parley keys status`.
 *
 * jwt: the new key signs at once (on this process; other nodes within
 * PARLEY_KEY_REFRESH_SECONDS); the old one keeps verifying, and stays in the JWKS, until
 * its overlap ends — by default the access-token lifetime plus the refresh interval plus
 * a minute, so no token any node signed with it is still alive then.
 * audit: the new key signs checkpoints; the old one is retired at once and its public
 * half stays in server_keys, so every checkpoint it signed still verifies.
 * directory: the new key, endorsed by the old one (devices that pinned the old key follow the
 * endorsement), signs bindings from now on; the old one keeps verifying for the overlap
 * (default a day) while a job re-signs every binding (modules/e2ee/directory-keys.ts).
 * The MLS external-sender key is not rotated: every MLS group lists it (docs/operations.md).
 */
import type { Deps } from "../../context.ts";
import { rotateJwtKey } from "../accounts/tokens.ts";
import { auditEveryOrg } from "./kek.ts";
import { bindingsToResign, rotateDirectoryKey } from "../e2ee/directory-keys.ts";

/** Default directory overlap: a day, for the re-signing job to finish and long-connected devices to refetch the config. */
const DIRECTORY_OVERLAP_SECONDS = 86_400;

export type RotatableSigningKey = "jwt" | "audit" | "directory";

export interface SigningRotation {
  purpose: RotatableSigningKey;
  /** The new active key (server_keys id). */
  id: string;
  previous: string[];
  /** Until when (ms) the previous keys verify: the jwt or directory overlap; for audit, now (they verify old checkpoints forever). */
  verifiesUntil: number;
}

/** Default jwt overlap, seconds: an access token's life after the last node stopped signing with the old key, plus a minute. */
function defaultJwtOverlapSeconds(deps: Pick<Deps, "config">): number {
  return deps.config.accessTokenTtl + deps.config.keyRefreshSeconds + 60;
}

export async function rotateSigningKey(deps: Deps, purpose: RotatableSigningKey, opts: { overlapSeconds?: number } = {}): Promise<SigningRotation> {
  let out: SigningRotation;
  if (purpose === "jwt") {
    const overlapMs = (opts.overlapSeconds ?? defaultJwtOverlapSeconds(deps)) * 1000;
    const r = await rotateJwtKey(deps.db, deps.kms, deps.now(), overlapMs);
    // This process signs with the new key from now on.
    await deps.keys.refresh(deps.now(), true);
    out = { purpose, ...r };
  } else if (purpose === "directory") {
    out = { purpose, ...(await rotateDirectoryKey(deps, (opts.overlapSeconds ?? DIRECTORY_OVERLAP_SECONDS) * 1000)) };
  } else {
    const r = await deps.kms.rotateSigningKey("audit");
    out = { purpose, ...r, verifiesUntil: deps.now() };
  }
  await auditEveryOrg(
    deps,
    "kms.signing_key_rotated",
    { kind: "server_key", id: out.id },
    { purpose, previous: out.previous, verifiesUntil: out.verifiesUntil },
  );
  return out;
}

export interface SigningKeyStatus {
  id: string;
  purpose: string;
  createdAt: number;
  retiredAt: number | null;
  /** active: signs; verifying: a rotated jwt key in its overlap; retired: verifies nothing new (audit keys still check old checkpoints). */
  state: "active" | "verifying" | "retired";
}

/** The signing keys, and how many device bindings still wait to be re-signed with the active directory key. */
export async function signingKeyStatus(deps: Deps): Promise<{ keys: SigningKeyStatus[]; bindingsToResign: number }> {
  return { keys: await signingKeys(deps), bindingsToResign: await bindingsToResign(deps.db) };
}

async function signingKeys(deps: Deps): Promise<SigningKeyStatus[]> {
  const rows = await deps.db
    .selectFrom("server_keys")
    .select(["id", "purpose", "created_at", "retired_at"])
    .orderBy("purpose")
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  const now = deps.now();
  // The active key of a purpose is its oldest row not retired (platform/kms/signing-keys.ts).
  const seen = new Set<string>();
  return rows.map((r) => {
    const first = r.retired_at === null && !seen.has(r.purpose);
    if (first) seen.add(r.purpose);
    const state = first ? "active" : r.retired_at === null || r.retired_at > now ? "verifying" : "retired";
    return { id: r.id, purpose: r.purpose, createdAt: Number(r.created_at), retiredAt: r.retired_at === null ? null : Number(r.retired_at), state };
  });
}
