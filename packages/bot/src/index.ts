/**
 * @parley/bot (issue 13): bots are service accounts that join channels as members, with their
 * own devices and MLS keys, so integrations read and write end-to-end encrypted channels
 * without the server seeing content. See docs/bots.md.
 */
export { Bot, startBot, type BotMessage, type BotOptions, type CommandContext, type CommandHandler, type CommandInfo, type MessageHandler } from "./bot.ts";
export { BotKeysLostError, provisionBot, readIdentity, type BotCredentials, type BotIdentity } from "./identity.ts";
export { BotState, type Json } from "./state.ts";
// Integrations (issue 13): incoming and outgoing webhooks over a bot's ChannelIO.
export type { ChannelIO, ChannelMessage, IntegrationLabel, MessageHandler as ChannelMessageHandler, PostOptions } from "./webhooks/channel-io.ts";
export { openWebhookState, type WebhookState } from "./webhooks/state.ts";
export { addIncomingWebhook, startIncomingWebhooks, INCOMING_ERRORS, type IncomingOptions, type IncomingServer } from "./webhooks/incoming.ts";
export { addOutgoingWebhook, startOutgoingWebhooks, type DeadLetter, type OutgoingOptions, type OutgoingPayload, type Triggers } from "./webhooks/outgoing.ts";
export { signBody, verifySignature } from "./webhooks/signature.ts";
export { botChannelIO } from "./webhooks/bot-io.ts";
