/**
 * Custom org emoji (issue 13): small images an admin uploads under a `:shortcode:`, listed for
 * the whole org and usable in reactions and messages (clients render `:shortcode:` as the
 * image). They are org assets like profile pictures, not message content: the server stores
 * and serves them in the clear (not end-to-end encrypted). Part of the route table in routes.ts.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id, Timestamp } from "./models.ts";

/** Image types a custom emoji may have. */
export const EmojiImageType = z.enum(["image/png", "image/gif", "image/webp"]);
/** Image types a custom emoji may have. */
export type EmojiImageType = z.infer<typeof EmojiImageType>;

/** Limits of custom emoji. */
export const EMOJI_LIMITS = {
  /** Largest image, bytes (clients resize to {@link EMOJI_LIMITS.maxPixels} first). */
  maxBytes: 131_072,
  /** Largest width and height, pixels. */
  maxPixels: 256,
  /** Most custom emoji an org holds. */
  perOrg: 1000,
} as const;

/** A shortcode without its colons: 2 to 32 lowercase letters, digits, `_`, `-` or `+`. */
export const EmojiShortcode = z
  .string()
  .min(2)
  .max(32)
  .regex(/^[a-z0-9_+-]+$/, "a shortcode is lowercase letters, digits, _, - and +");

/** A custom emoji of the org. */
export const CustomEmoji = z.object({
  /** The shortcode, used as `:name:`. */
  name: EmojiShortcode,
  contentType: EmojiImageType,
  /** Content hash of the image: part of its URL so caches refresh when it is replaced. */
  version: z.string().max(64),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  createdBy: Id,
  createdAt: Timestamp,
});
/** A custom emoji of the org. */
export type CustomEmoji = z.infer<typeof CustomEmoji>;

const NameParams = z.object({ name: EmojiShortcode });

/** Custom emoji routes. */
export const emojiRoutes = {
  listCustomEmoji: route({
    method: "GET",
    path: "/emoji",
    tag: "emoji",
    auth: "user",
    summary: "The org's custom emoji, by shortcode",
    response: z.object({ emoji: z.array(CustomEmoji) }),
  }),
  createCustomEmoji: route({
    method: "PUT",
    path: "/emoji/:name",
    tag: "emoji",
    auth: "user",
    status: 201,
    summary: `Upload a custom emoji (org.manage_emoji): PNG, GIF or WebP, at most ${EMOJI_LIMITS.maxBytes} bytes and ${EMOJI_LIMITS.maxPixels}×${EMOJI_LIMITS.maxPixels} px, base64; audited`,
    params: NameParams,
    body: z.object({
      contentType: EmojiImageType,
      data: z
        .string()
        .min(4)
        .max(Math.ceil(EMOJI_LIMITS.maxBytes / 3) * 4),
    }),
    response: CustomEmoji,
    errors: ["emoji_exists", "emoji_image_invalid", "emoji_limit", "payload_too_large"],
  }),
  deleteCustomEmoji: route({
    method: "DELETE",
    path: "/emoji/:name",
    tag: "emoji",
    auth: "user",
    summary: "Delete a custom emoji (org.manage_emoji); audited",
    params: NameParams,
    response: null,
  }),
  getCustomEmojiImage: route({
    method: "GET",
    path: "/emoji/:name/image",
    tag: "emoji",
    auth: "user",
    summary: "A custom emoji's image bytes (any member of the org)",
    params: NameParams,
    response: null,
    raw: { response: "octet-stream" },
  }),
} as const;
