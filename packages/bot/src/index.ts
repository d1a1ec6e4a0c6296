/**
 * @parley/bot (issue 13): bots are service accounts that join channels as members, with their
 * own devices and MLS keys, so integrations read and write end-to-end encrypted channels
 * without the server seeing content. See docs/bots.md.
 */
export { Bot, startBot, type BotMessage, type BotOptions, type CommandContext, type CommandHandler, type CommandInfo, type MessageHandler } from "./bot.ts";
export { BotKeysLostError, provisionBot, readIdentity, type BotCredentials, type BotIdentity } from "./identity.ts";
export { BotState, type Json } from "./state.ts";
