/**
 * The unsubscribe link of mention email: one click, no sign-in. Its token names the org in clear
 * (to pick the data key) and the user sealed by platform/kms under the org's data key with a
 * context of its own, so it cannot be forged, altered or moved to another user, and it stops
 * working when the org is crypto-shredded. Using it turns mention email off (idempotent) and
 * leaves an audit entry either way.
 */
import { z } from "zod";
import type { Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { systemActor } from "../../core/actor.ts";
import { AppError } from "../../core/errors.ts";

const CONTEXT = "notify.unsubscribe";

/** Where the email's List-Unsubscribe header points, under the public URL (RFC 8058 one-click POST; http/mail-unsubscribe.ts). */
export const ONE_CLICK_PATH = "/mail/unsubscribe";
const Claims = z.object({ u: z.string().min(1).max(64), p: z.literal("mention-email") });
const Outer = z.object({ o: z.string().min(1).max(64), s: z.string().min(1).max(1500) });

/** The token of a user's unsubscribe link. */
export async function unsubscribeToken(deps: Deps, orgId: string, userId: string): Promise<string> {
  const sealed = await deps.kms.seal(new TextEncoder().encode(JSON.stringify({ u: userId, p: "mention-email" })), CONTEXT, { orgId });
  return Buffer.from(JSON.stringify({ o: orgId, s: sealed })).toString("base64url");
}

const invalid = () =>
  new AppError("unsubscribe_token_invalid", "this unsubscribe link is not valid; turn mention email off in your notification settings instead");

/** The org and user a token names, or unsubscribe_token_invalid. */
async function openToken(deps: Deps, token: string): Promise<{ orgId: string; userId: string }> {
  let outer: z.infer<typeof Outer>;
  let claims: z.infer<typeof Claims>;
  try {
    outer = Outer.parse(JSON.parse(Buffer.from(token, "base64url").toString("utf8")));
    claims = Claims.parse(JSON.parse(new TextDecoder().decode(await deps.kms.open(outer.s, CONTEXT, { orgId: outer.o }))));
  } catch {
    throw invalid();
  }
  return { orgId: outer.o, userId: claims.u };
}

/** Turn mention email off for the token's user; `changed` is false when it was off already. */
export async function unsubscribeMentionEmail(deps: Deps, token: string): Promise<{ changed: boolean }> {
  const { orgId, userId } = await openToken(deps, token);
  const user = await deps.db.selectFrom("users").select("id").where("id", "=", userId).where("org_id", "=", orgId).executeTakeFirst();
  if (!user) throw invalid();
  return runCommand(deps, systemActor(orgId, "server"), "notifications.unsubscribe", async (tx, fx) => {
    const res = await tx
      .updateTable("notification_settings")
      .set({ email_enabled: 0, updated_at: deps.now() })
      .where("user_id", "=", userId)
      .where("email_enabled", "=", 1)
      .executeTakeFirst();
    const changed = Number(res.numUpdatedRows) > 0;
    fx.audit({
      actor: { kind: "system" },
      action: "notifications.email.unsubscribed",
      target: { kind: "user", id: userId },
      result: "success",
      details: { via: "unsubscribe_link", changed },
    });
    return { changed };
  });
}
