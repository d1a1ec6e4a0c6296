/**
 * Profile pictures: a small image (PNG, JPEG or WebP, at most AVATAR_MAX_BYTES; clients
 * resize before uploading) stored in the database so every node serves it. The bytes
 * must be the image type they claim (magic numbers), so no script or HTML can be served
 * from the API's origin; they are served with nosniff and a sandboxing CSP.
 */
import crypto from "node:crypto";
import { AVATAR_MAX_BYTES, type AvatarType, type User } from "@parley/protocol";
import type { Actor, Deps, DeviceActor } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { AppError, badRequest, notFound } from "../../core/errors.ts";
import { authorize } from "../access/authorize.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import { getUserInOrg } from "./store.ts";
import { toUserWithEmail, toUser } from "./views.ts";

const MAGIC: Record<AvatarType, (b: Buffer) => boolean> = {
  "image/png": (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  "image/jpeg": (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  "image/webp": (b) => b.subarray(0, 4).toString("latin1") === "RIFF" && b.subarray(8, 12).toString("latin1") === "WEBP",
};

async function storeAvatar(deps: Deps, p: DeviceActor, avatar: { contentType: AvatarType; data: Buffer } | null): Promise<User> {
  return runCommand(deps, p, avatar ? "accounts.setAvatar" : "accounts.deleteAvatar", async (tx, fx) => {
    const row = await getUserInOrg(tx, p.orgId, p.userId);
    if (!row) throw notFound("user");
    const now = deps.now();
    let version: string | null = null;
    if (avatar) {
      version = crypto.createHash("sha256").update(avatar.data).digest("base64url").slice(0, 16);
      const values = { content_type: avatar.contentType, data: avatar.data, version, updated_at: now };
      await tx
        .insertInto("user_avatars")
        .values({ user_id: p.userId, org_id: p.orgId, ...values })
        .onConflict((oc) => oc.column("user_id").doUpdateSet(values))
        .execute();
    } else {
      await tx.deleteFrom("user_avatars").where("user_id", "=", p.userId).execute();
    }
    await tx.updateTable("users").set({ avatar_version: version }).where("id", "=", p.userId).execute();
    const next = { ...row, avatar_version: version };
    fx.audit({
      action: avatar ? "user.avatar.set" : "user.avatar.removed",
      target: { kind: "user", id: p.userId },
      result: "success",
      ...(avatar ? { details: { bytes: avatar.data.length, type: avatar.contentType } } : {}),
    });
    await appendUserStream(tx, fx, { orgId: p.orgId, userId: p.userId, kind: "user.updated", data: { user: toUser(next) }, now });
    return toUserWithEmail(next);
  });
}

export async function setAvatar(deps: Deps, p: DeviceActor, input: { contentType: AvatarType; data: string }): Promise<User> {
  const data = Buffer.from(input.data, "base64");
  if (data.length > AVATAR_MAX_BYTES) throw new AppError("payload_too_large", `a profile picture may have at most ${AVATAR_MAX_BYTES} bytes; resize it first`);
  if (!MAGIC[input.contentType](data)) throw badRequest(`the data is not a ${input.contentType} image`);
  return storeAvatar(deps, p, { contentType: input.contentType, data });
}

export function deleteAvatar(deps: Deps, p: DeviceActor): Promise<User> {
  return storeAvatar(deps, p, null);
}

/** A user's picture (any member of the org may see it). */
export async function getAvatar(deps: Deps, p: Actor, userId: string): Promise<{ contentType: string; data: Buffer; version: string }> {
  authorize(p, "org.list_users", { type: "org", orgId: p.orgId });
  const row = await deps.db
    .selectFrom("user_avatars")
    .select(["content_type", "data", "version"])
    .where("org_id", "=", p.orgId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  if (!row) throw notFound("profile picture");
  return { contentType: row.content_type, data: Buffer.from(row.data), version: row.version };
}
