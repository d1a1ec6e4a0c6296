/** What a scenario drives: a server URL, a channel, and tokens to connect with. */
export interface BenchTarget {
  url: string;
  channelId: string;
  /** Token of the sending user (also a channel member). */
  senderToken: string;
  /** Tokens shared round-robin by receiver sockets. */
  receiverTokens: string[];
  /** Several nodes of one cluster: receiver worker i connects to `receiverUrls[i % length]` (the sender always to `url`). */
  receiverUrls?: string[];
}

/** The bare server accepts any token and has one implicit channel. */
export function bareTarget(url: string): BenchTarget {
  return { url, channelId: "bench", senderToken: "bare", receiverTokens: ["bare"] };
}
