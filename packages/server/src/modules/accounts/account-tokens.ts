/**
 * Single-use account links: password resets and email verifications. The token is
 * 32 random bytes shown once (in the emailed link or to the admin); only its hash is
 * stored. A new link of the same purpose supersedes the user's older ones, and using
 * one is a conditional update, so two concurrent uses cannot both succeed.
 */
import type { Db, Tx } from "../../platform/db/index.ts";
import type { AccountTokensTable } from "../../platform/db/tables.ts";
import { AppError } from "../../core/errors.ts";
import { hashSecret, newId, newSecret } from "../../platform/ids.ts";

export type TokenPurpose = AccountTokensTable["purpose"];

const TOKEN_TTL_MS: Record<TokenPurpose, number> = { password_reset: 60 * 60_000, email_verify: 24 * 60 * 60_000 };

/** Issue a link token (older unused ones of the purpose stop working). */
export async function issueAccountToken(
  tx: Tx,
  a: { purpose: TokenPurpose; orgId: string; userId: string; email?: string | null; createdBy: string; now: number },
): Promise<{ token: string; expiresAt: number }> {
  await supersedeAccountTokens(tx, a.userId, a.purpose, a.now);
  const token = newSecret();
  const expiresAt = a.now + TOKEN_TTL_MS[a.purpose];
  await tx
    .insertInto("account_tokens")
    .values({
      id: newId("atk"),
      token_hash: hashSecret(token),
      purpose: a.purpose,
      org_id: a.orgId,
      user_id: a.userId,
      email: a.email ?? null,
      created_by: a.createdBy,
      created_at: a.now,
      expires_at: expiresAt,
      used_at: null,
    })
    .execute();
  return { token, expiresAt };
}

/** Every unused link of the purpose stops working (a new one, a completed reset). */
export async function supersedeAccountTokens(tx: Tx, userId: string, purpose: TokenPurpose, now: number): Promise<void> {
  await tx
    .updateTable("account_tokens")
    .set({ used_at: now })
    .where("user_id", "=", userId)
    .where("purpose", "=", purpose)
    .where("used_at", "is", null)
    .execute();
}

const tokenInvalid = () => new AppError("token_invalid", "this link has expired, was already used, or a newer one was sent; ask for a new one");

/** The live (unused, unexpired) token row, or token_invalid. */
export async function liveAccountToken(q: Db | Tx, token: string, purpose: TokenPurpose, now: number): Promise<AccountTokensTable> {
  const row = await q.selectFrom("account_tokens").selectAll().where("token_hash", "=", hashSecret(token)).where("purpose", "=", purpose).executeTakeFirst();
  if (!row || row.used_at !== null || Number(row.expires_at) <= now) throw tokenInvalid();
  return row;
}

/** Mark a token used; token_invalid if another request used it first. */
export async function useAccountToken(tx: Tx, id: string, now: number): Promise<void> {
  const r = await tx.updateTable("account_tokens").set({ used_at: now }).where("id", "=", id).where("used_at", "is", null).executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw tokenInvalid();
}
