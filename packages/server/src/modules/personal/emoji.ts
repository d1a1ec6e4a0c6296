/**
 * Custom org emoji (issue 13): admins (org.manage_emoji) upload small images under a shortcode;
 * every member lists them and fetches their images. They are org assets stored in the clear in
 * the database (like profile pictures, so every node serves them), not message content: a
 * message names `:shortcode:` inside its ciphertext and the device renders the image.
 * Upload and delete are audited and told to the org's open clients (`emoji` frame, emoji-events.ts).
 */
import crypto from "node:crypto";
import { EMOJI_LIMITS, type CustomEmoji, type EmojiImageType } from "@parley/protocol";
import type { Selectable } from "kysely";
import type { Actor, Deps, DeviceActor } from "../../context.ts";
import type { CustomEmojiTable } from "../../platform/db/personal-tables.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { runCommand } from "../../command.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { authorize } from "../access/authorize.ts";
import { emojiDimensions } from "./emoji-image.ts";

const exists = (name: string) => new AppError("emoji_exists", `a custom emoji :${name}: exists; delete it first`, { name });

function toCustomEmoji(r: Selectable<CustomEmojiTable>): CustomEmoji {
  return {
    name: r.name,
    contentType: r.content_type as EmojiImageType,
    version: r.version,
    width: Number(r.width),
    height: Number(r.height),
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
  };
}

/** GET /emoji: the org's custom emoji (any member). */
export async function listCustomEmoji(deps: Deps, p: Actor): Promise<CustomEmoji[]> {
  authorize(p, "org.list_users", { type: "org", orgId: p.orgId });
  const rows = await deps.db
    .selectFrom("custom_emoji")
    .select(["org_id", "name", "content_type", "version", "width", "height", "created_by", "created_at"])
    .where("org_id", "=", p.orgId)
    .orderBy("name")
    .execute();
  return rows.map((r) => toCustomEmoji({ ...r, data: new Uint8Array() }));
}

/** PUT /emoji/:name: validates the image, stores it, audits the upload. */
export async function createCustomEmoji(deps: Deps, p: DeviceActor, name: string, input: { contentType: EmojiImageType; data: string }): Promise<CustomEmoji> {
  authorize(p, "org.manage_emoji", { type: "org", orgId: p.orgId });
  const data = Buffer.from(input.data, "base64");
  if (data.length > EMOJI_LIMITS.maxBytes) {
    throw new AppError("payload_too_large", `a custom emoji may have at most ${EMOJI_LIMITS.maxBytes} bytes; resize it first`, {
      limit: EMOJI_LIMITS.maxBytes,
    });
  }
  const size = emojiDimensions(input.contentType, data);
  if (!size) throw new AppError("emoji_image_invalid", `the data is not a ${input.contentType} image`, { reason: "type" });
  if (size.width > EMOJI_LIMITS.maxPixels || size.height > EMOJI_LIMITS.maxPixels) {
    throw new AppError("emoji_image_invalid", `a custom emoji may be at most ${EMOJI_LIMITS.maxPixels}×${EMOJI_LIMITS.maxPixels} px`, {
      reason: "dimensions",
      maxPixels: EMOJI_LIMITS.maxPixels,
    });
  }
  const row: CustomEmojiTable = {
    org_id: p.orgId,
    name,
    content_type: input.contentType,
    data: new Uint8Array(data),
    version: crypto.createHash("sha256").update(data).digest("base64url").slice(0, 16),
    width: size.width,
    height: size.height,
    created_by: p.userId,
    created_at: deps.now(),
  };
  try {
    return await runCommand(deps, p, "emoji.create", async (tx, fx) => {
      if (await tx.selectFrom("custom_emoji").select("name").where("org_id", "=", p.orgId).where("name", "=", name).executeTakeFirst()) throw exists(name);
      const count = await tx
        .selectFrom("custom_emoji")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("org_id", "=", p.orgId)
        .executeTakeFirstOrThrow();
      if (Number(count.n) >= EMOJI_LIMITS.perOrg)
        throw new AppError("emoji_limit", `an org holds at most ${EMOJI_LIMITS.perOrg} custom emoji`, { limit: EMOJI_LIMITS.perOrg });
      await tx.insertInto("custom_emoji").values(row).execute();
      fx.audit({
        action: "emoji.created",
        target: { kind: "emoji", id: name },
        result: "success",
        details: { bytes: data.length, type: input.contentType, width: size.width, height: size.height },
      });
      const emoji = toCustomEmoji(row);
      fx.publish("org.emoji", { orgId: p.orgId, name, emoji });
      return emoji;
    });
  } catch (err) {
    // Two admins uploading the same name at once: the primary key decides.
    if (isUniqueViolation(err)) throw exists(name);
    throw err;
  }
}

/** DELETE /emoji/:name: removes it and audits the removal; an unknown name is `not_found`. */
export async function deleteCustomEmoji(deps: Deps, p: DeviceActor, name: string): Promise<void> {
  authorize(p, "org.manage_emoji", { type: "org", orgId: p.orgId });
  await runCommand(deps, p, "emoji.delete", async (tx, fx) => {
    const gone = await tx.deleteFrom("custom_emoji").where("org_id", "=", p.orgId).where("name", "=", name).executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) throw notFound("custom emoji");
    fx.audit({ action: "emoji.deleted", target: { kind: "emoji", id: name }, result: "success" });
    fx.publish("org.emoji", { orgId: p.orgId, name, emoji: null });
  });
}

/** A custom emoji's image (any member of the org). */
export async function getCustomEmojiImage(deps: Deps, p: Actor, name: string): Promise<{ contentType: string; data: Buffer; version: string }> {
  authorize(p, "org.list_users", { type: "org", orgId: p.orgId });
  const row = await deps.db
    .selectFrom("custom_emoji")
    .select(["content_type", "data", "version"])
    .where("org_id", "=", p.orgId)
    .where("name", "=", name)
    .executeTakeFirst();
  if (!row) throw notFound("custom emoji");
  return { contentType: row.content_type, data: Buffer.from(row.data), version: row.version };
}
