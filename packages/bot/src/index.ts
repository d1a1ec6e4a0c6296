/**
 * @parley/bot (issue 13): bots are service accounts that join channels as members, with their
 * own devices and MLS keys, so integrations read and write end-to-end encrypted channels
 * without the server seeing content.
 */
export const BOT_PACKAGE = "@parley/bot";
