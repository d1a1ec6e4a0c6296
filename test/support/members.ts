/** Three members of a fresh org (alice the owner, bob, carol) as real SDK clients on `baseUrl`, for the chaos and fault tests. */
import type { Event } from "@parley/protocol";
import type { ParleyClient } from "../../packages/sdk/src/client.ts";
import type { ClientOptions } from "../../packages/sdk/src/client-options.ts";
import { FAST, makeOrg } from "../../packages/sdk/src/testing/e2ee-clients.ts";

export async function threeMembers(t: { after(fn: () => unknown): void }, baseUrl: string) {
  const opts: ClientOptions = { e2ee: { ...FAST.e2ee, joinWaitMs: 1500 } };
  const org = await makeOrg(baseUrl, opts);
  t.after(() => org.closeAll());
  const alice = org.owner;
  const bob = await org.user("bob", opts);
  const carol = await org.user("carol", opts);
  /** Each device's name, for messages. */
  const devices = new Map<ParleyClient, string>([
    [alice, "alice"],
    [bob, "bob"],
    [carol, "carol"],
  ]);
  return { org, opts, alice, bob, carol, devices };
}

/**
 * Members chatting in a channel until `stop()`: each `talk` sends numbered messages with a pause
 * of `pauseMs` between them; `acked` maps each text the server acknowledged to its event (a send
 * that was never acknowledged is owed to nobody).
 */
export function chatter(channelId: string, pauseMs: [number, number]) {
  const acked = new Map<string, Event>();
  let stopped = false;
  return {
    acked,
    stopped: () => stopped,
    stop() {
      stopped = true;
    },
    async talk(c: ParleyClient, tag: string): Promise<void> {
      for (let i = 0; !stopped; i++) {
        const text = `${tag} ${i}`;
        try {
          acked.set(text, (await c.sendMessage(channelId, text)).event);
        } catch {
          // never acknowledged: nobody owes it
        }
        await new Promise((r) => setTimeout(r, pauseMs[0] + Math.floor(Math.random() * (pauseMs[1] - pauseMs[0]))));
      }
    },
  };
}
