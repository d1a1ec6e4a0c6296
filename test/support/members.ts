/** Three members of a fresh org (alice the owner, bob, carol) as real SDK clients on `baseUrl`, for the chaos and fault tests. */
import type { Event } from "@parley/protocol";
import type { ParleyClient } from "../../packages/sdk/src/client.ts";
import type { ClientOptions } from "../../packages/sdk/src/client-options.ts";
import { FAST, makeOrg } from "../../packages/sdk/src/testing/e2ee-clients.ts";

/** `extra(name)`: options of that member's client besides the shared ones (e.g. its own WebSocket class). */
export async function threeMembers(t: { after(fn: () => unknown): void }, baseUrl: string, extra: (name: string) => ClientOptions = () => ({})) {
  const opts: ClientOptions = { e2ee: { ...FAST.e2ee, joinWaitMs: 1500 } };
  const org = await makeOrg(baseUrl, { ...opts, ...extra("alice") });
  t.after(() => org.closeAll());
  const alice = org.owner;
  const bob = await org.user("bob", { ...opts, ...extra("bob") });
  const carol = await org.user("carol", { ...opts, ...extra("carol") });
  /** Each device's name, for messages. */
  const devices = new Map<ParleyClient, string>([
    [alice, "alice"],
    [bob, "bob"],
    [carol, "carol"],
  ]);
  return { org, opts, alice, bob, carol, devices };
}

const pause = ([lo, hi]: [number, number]) => new Promise((r) => setTimeout(r, lo + Math.floor(Math.random() * (hi - lo))));

/**
 * Members chatting in a channel until `stop()`. `acked` maps each text the server acknowledged to
 * its event (a send that was never acknowledged is owed to nobody); `failed` maps each send the
 * SDK gave up on to its error; `outstanding` holds the sends not settled yet, with their sender.
 */
export function chatter(channelId: string, pauseMs: [number, number]) {
  const acked = new Map<string, Event>();
  const failed = new Map<string, string>();
  const outstanding = new Map<string, ParleyClient>();
  const unsettled = new Set<Promise<void>>();
  let stopped = false;
  /** One send of `text` by `c`, settling (never rejecting) once the SDK acknowledged it or gave up. */
  const send = (c: ParleyClient, text: string): Promise<void> => {
    outstanding.set(text, c);
    const p = c
      .sendMessage(channelId, text)
      .then(
        (r) => void acked.set(text, r.event),
        (err: unknown) => void failed.set(text, (err as Error).message),
      )
      .finally(() => {
        outstanding.delete(text);
        unsettled.delete(p);
      });
    unsettled.add(p);
    return p;
  };
  return {
    acked,
    failed,
    outstanding,
    send,
    stopped: () => stopped,
    stop() {
      stopped = true;
    },
    /** Numbered messages, each sent once the one before was acknowledged (or failed), `pauseMs` apart. */
    async talk(c: ParleyClient, tag: string): Promise<void> {
      for (let i = 0; !stopped; i++) {
        await send(c, `${tag} ${i}`);
        await pause(pauseMs);
      }
    },
    /** Numbered messages `pauseMs` apart whatever became of the ones before (they queue in the SDK's outbox meanwhile). */
    async stream(c: ParleyClient, tag: string): Promise<void> {
      for (let i = 0; !stopped; i++) {
        void send(c, `${tag} ${i}`);
        await pause(pauseMs);
      }
    },
    /** Resolves once every send made so far has settled. */
    async settled(): Promise<void> {
      while (unsettled.size) await Promise.all([...unsettled]);
    },
  };
}
