/**
 * A {@link ChannelIO} over a plain SDK client signed in as the bot's service account (API key),
 * for tests until the Bot framework implements the same two operations. Posts go through the
 * client's MLS codec with the integration label sealed in the content; heard messages are the
 * client's decrypted "message" events, minus the bot's own, in order per channel (a handler's
 * promise is awaited before the channel's next message). The SDK hands each event to its
 * listeners once and then moves its cursor on: to stop without losing messages, close the client
 * first, then wait for {@link SdkChannelIO.idle}, then stop the runtime. `enabled` reads the
 * server's registry (the bot lists the integrations it serves) so an admin's Disable takes effect. It also reports dead letters to the
 * server's integration registry with the bot's session.
 */
import type { ParleyClient } from "@parley/sdk";
import type { ChannelIO, ChannelMessage, MessageHandler } from "../webhooks/channel-io.ts";
import type { DeadLetter } from "../webhooks/outgoing.ts";

export interface SdkChannelIO extends ChannelIO {
  /** Resolves once every message heard so far has been through the handlers (stop the client first, then wait for this). */
  idle(): Promise<void>;
  /** Whether the server's registry has the integration enabled (asked at most every `cacheMs`). */
  enabled(integrationId: string): Promise<boolean>;
  /** Report a dead letter with the bot's session (idempotent on the server). */
  reportDeadLetter(d: DeadLetter): Promise<void>;
}

export function sdkChannelIO(client: ParleyClient, o: { cacheMs?: number } = {}): SdkChannelIO {
  const chains = new Map<string, Promise<void>>();
  let registry: { at: number; enabled: Set<string> } | undefined;
  return {
    async post(channelId, text, opts = {}) {
      const r = await client.send(channelId, {
        kind: "message",
        text,
        ...(opts.threadRoot ? { threadRoot: opts.threadRoot } : {}),
        ...(opts.integration ? { integration: opts.integration } : {}),
      });
      return r.event.seq;
    },
    onMessage(handler: MessageHandler) {
      return client.on("message", (e) => {
        if (e.own || e.text === undefined || e.content.decodeError !== undefined) return;
        const m: ChannelMessage = {
          channelId: e.channelId,
          seq: e.seq,
          senderId: e.senderId,
          text: e.text,
          ...(e.threadRoot ? { threadRoot: e.threadRoot } : {}),
        };
        const prev = chains.get(e.channelId) ?? Promise.resolve();
        chains.set(
          e.channelId,
          prev.then(() => handler(m)).catch((err: unknown) => client.onListenerError(err, "message")),
        );
      });
    },
    async idle() {
      await Promise.all(chains.values());
    },
    async enabled(integrationId) {
      if (!registry || Date.now() - registry.at > (o.cacheMs ?? 5000)) {
        const { integrations } = await client.api.call("listIntegrations");
        registry = { at: Date.now(), enabled: new Set(integrations.filter((i) => i.enabled).map((i) => i.id)) };
      }
      return registry.enabled.has(integrationId);
    },
    async reportDeadLetter(d) {
      const { integrationId, ...body } = d;
      await client.api.call("reportIntegrationDeadLetter", { params: { id: integrationId }, body });
    },
  };
}
