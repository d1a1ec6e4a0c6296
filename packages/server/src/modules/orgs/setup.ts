/**
 * First-run setup. While no org exists the server holds a one-time setup
 * token (PARLEY_SETUP_TOKEN, or a fresh random one each start whose hash is
 * kept in `meta` and whose plaintext `parley start` prints). POST /setup with
 * that token creates the first org, its owner, a device and a session in one
 * transaction; afterwards setup is closed for good.
 */
import crypto from "node:crypto";
import type { AuthTokens } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import type { Db } from "../../platform/db/index.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { hashSecret, newSecret } from "../../platform/ids.ts";
import { hashPassword } from "../accounts/passwords.ts";
import { addDevice, authTokens, startSession } from "../accounts/sessions.ts";
import { checkNewOrgPassword, insertOrgWithOwner, mapUniqueViolation, type NewOrgWithOwner } from "./create-org.ts";

const TOKEN_KEY = "setup_token_hash";
/** Written in the setup transaction; its primary key makes two racing setups collide. */
const DONE_KEY = "setup_completed_at";

export async function needsSetup(db: Db): Promise<boolean> {
  const row = await db.selectFrom("orgs").select("id").limit(1).executeTakeFirst();
  return row === undefined;
}

/** The setup token to print, or undefined once an org exists. */
export async function ensureSetupToken(deps: Deps): Promise<string | undefined> {
  if (!(await needsSetup(deps.db))) return undefined;
  if (deps.config.setupToken) return deps.config.setupToken;
  const token = newSecret();
  const value = hashSecret(token);
  // A new token each start: a token printed by an earlier run stops working.
  await runCommand(deps, null, "orgs.ensureSetupToken", async (tx) => {
    await tx.deleteFrom("meta").where("key", "=", TOKEN_KEY).execute();
    await tx.insertInto("meta").values({ key: TOKEN_KEY, value }).execute();
  });
  return token;
}

function sameSecret(a: string, b: string): boolean {
  // Compare fixed-length digests so neither content nor length leaks through timing.
  return crypto.timingSafeEqual(Buffer.from(hashSecret(a), "hex"), Buffer.from(hashSecret(b), "hex"));
}

async function checkSetupToken(deps: Deps, given: string): Promise<boolean> {
  if (deps.config.setupToken) return sameSecret(given, deps.config.setupToken);
  const row = await deps.db.selectFrom("meta").select("value").where("key", "=", TOKEN_KEY).executeTakeFirst();
  if (!row) return false;
  const stored = Buffer.from(row.value, "hex");
  const candidate = Buffer.from(hashSecret(given), "hex");
  return stored.length === candidate.length && crypto.timingSafeEqual(candidate, stored);
}

export interface SetupInput extends NewOrgWithOwner {
  setupToken: string;
  deviceName: string;
}

export async function runSetup(deps: Deps, input: SetupInput): Promise<AuthTokens> {
  const closed = () => new AppError("setup_complete", "setup is already complete; sign in instead");
  if (!(await needsSetup(deps.db))) throw closed();
  if (!(await checkSetupToken(deps, input.setupToken))) throw new AppError("forbidden", "wrong setup token (it is printed when the server starts)");
  checkNewOrgPassword(input);
  const passwordHash = await hashPassword(input.password);
  let issued;
  try {
    issued = await runCommand(deps, null, "orgs.runSetup", async (tx, after) => {
      if ((await tx.selectFrom("orgs").select("id").limit(1).executeTakeFirst()) !== undefined) throw closed();
      await tx
        .insertInto("meta")
        .values({ key: DONE_KEY, value: String(deps.now()) })
        .execute();
      await tx.deleteFrom("meta").where("key", "=", TOKEN_KEY).execute();
      const { org, user } = await insertOrgWithOwner(tx, deps, { ...input, passwordHash });
      const deviceId = await addDevice(tx, after, deps, { orgId: org.id, userId: user.id, name: input.deviceName });
      return startSession(tx, deps, { orgId: org.id, userId: user.id, deviceId });
    });
  } catch (err) {
    if (err instanceof AppError) throw err;
    // The only unique key a fresh database can hit here is DONE_KEY: another setup won.
    throw mapUniqueViolation(err, "setup is already complete") instanceof AppError ? closed() : err;
  }
  return authTokens(deps, issued);
}
