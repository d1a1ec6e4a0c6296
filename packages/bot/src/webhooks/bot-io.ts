/**
 * A Bot as the webhooks' ChannelIO: the same bot that answers slash commands serves incoming
 * webhooks and forwards messages to outgoing ones, with one device and one set of MLS keys.
 */
import type { Bot } from "../bot.ts";
import type { ChannelIO } from "./channel-io.ts";

export function botChannelIO(bot: Bot): ChannelIO {
  return {
    post: (channelId, text, opts = {}) => bot.post(channelId, text, opts),
    onMessage: (handler) =>
      bot.onMessage((m) =>
        handler({ channelId: m.channelId, seq: m.seq, senderId: m.senderId, text: m.text, ...(m.threadRoot !== null ? { threadRoot: m.threadRoot } : {}) }),
      ),
  };
}
