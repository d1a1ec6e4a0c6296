/** HTTP handlers of the personal store and custom emoji: thin — the protocol schemas validated the input; commands authorize and act. */
import type { emojiRoutes, personalRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { sendStoredImage } from "../../core/stored-image.ts";
import { deletePersonalItem, listPersonalItems, putPersonalItem } from "./items.ts";
import { createCustomEmoji, deleteCustomEmoji, getCustomEmojiImage, listCustomEmoji } from "./emoji.ts";

export const personalHandlers: ModuleHandlers<keyof typeof personalRoutes> = {
  listPersonalItems: ({ query }, { deps, principal }) => listPersonalItems(deps, principal, query),
  putPersonalItem: ({ params, body }, { deps, principal }) => putPersonalItem(deps, principal, params, body),
  deletePersonalItem: ({ params, query }, { deps, principal }) => deletePersonalItem(deps, principal, params, query.clientTs),
};

export const emojiHandlers: ModuleHandlers<keyof typeof emojiRoutes> = {
  listCustomEmoji: async (_i, { deps, principal }) => ({ emoji: await listCustomEmoji(deps, principal) }),
  createCustomEmoji: ({ params, body }, { deps, principal }) => createCustomEmoji(deps, principal, params.name, body),
  deleteCustomEmoji: ({ params }, { deps, principal }) => deleteCustomEmoji(deps, principal, params.name),
  getCustomEmojiImage: async ({ params }, { deps, principal, reply }) => sendStoredImage(reply, await getCustomEmojiImage(deps, principal, params.name)),
};
