/**
 * The two channel operations integrations need from a bot runtime: post a text into a channel
 * and hear the channel's messages. The runtime holds the bot's device and MLS keys, so both
 * sides see plaintext here and the server sees only ciphertext. The Bot framework implements
 * this interface; tests use an SDK client signed in with the bot's API key (testing/).
 */

/** Who posted through an integration: sealed inside the encrypted content, so members see it and the server does not. */
export interface IntegrationLabel {
  /** The integration's id (as registered with the server). */
  id: string;
  /** Its display name ("CI notifier"). */
  name: string;
  /** Where its runtime runs ("ci-runner-3.example.net"), shown to members next to the post. */
  runsAt: string;
}

/** Options of {@link ChannelIO.post}. */
export interface PostOptions {
  /** Reply in the thread rooted at this seq. */
  threadRoot?: number;
  /** The integration on whose behalf the bot posts. */
  integration?: IntegrationLabel;
}

/** A decrypted channel message as the runtime hears it. */
export interface ChannelMessage {
  channelId: string;
  seq: number;
  senderId: string;
  text: string;
  threadRoot?: number;
}

/** Handler of {@link ChannelIO.onMessage}; the runtime waits for the promise before it hears the next message of the channel. */
export type MessageHandler = (m: ChannelMessage) => void | Promise<void>;

/** A bot's channel input and output. */
export interface ChannelIO {
  /** Post `text` into the channel, encrypted; resolves with the message's seq once the server acknowledged it. */
  post(channelId: string, text: string, opts?: PostOptions): Promise<number>;
  /**
   * Hear every text message of the channels the bot is in, decrypted, in seq order per channel —
   * at least once (after a restart a message may come again: handlers key on channel and seq).
   * The bot's own posts are not delivered. Returns a function that stops listening.
   */
  onMessage(handler: MessageHandler): () => void;
}
