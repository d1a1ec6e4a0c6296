/**
 * The state-persistence bench inside a dedicated Web Worker in chromium (bundled by
 * browser.ts): one device per origin (alice's page or bob's), on the web app's own
 * stores — BrowserKeyStore (IndexedDB, sealed), IdbStore for the SDK's local store and
 * the EventCache that holds the decrypted history, fed with every event shown as the
 * client worker does. The page forwards commands from Node and posts back the results.
 * browser.ts builds it twice: with this tree's SDK and web stores, and with the
 * baseline commit's (its imports of them are aliased).
 */
import * as sdk from "@parley/sdk";
import { BrowserKeyStore } from "@parley/crypto/browser";
import { IdbStore } from "../../../packages/web/src/worker/idb-store.ts";
import { EventCache } from "../../../packages/web/src/worker/event-cache.ts";
import { countFlushes, countingKeyStore, emptyStats, type WriteStats } from "./instrument.ts";
import { createChannel, joinChannel, receivePhase, sendPhase, signIn, type Mode, type OpenProfile } from "./scenario.ts";

/** Commands from browser.ts (through the page). */
export type WorkerCommand =
  | { op: "signIn"; org: string; username: string; password: string }
  | { op: "create"; memberIds: string[]; bulkUserId?: string }
  | { op: "join"; channelId: string }
  | { op: "send"; mode: Mode; channelId: string; firstSeq: number; n: number }
  | { op: "receive"; mode: Mode; channelId: string; events: import("@parley/protocol").Event[] };

let stats: WriteStats = emptyStats();

const open: OpenProfile = async () => {
  const keys = await BrowserKeyStore.open();
  const cache = await EventCache.open(keys);
  // This tree's IdbStore flushes the event cache with itself; the baseline's ignores the option.
  const store = await IdbStore.open(keys, { history: cache });
  return {
    store: countFlushes(store, () => stats),
    keyStore: countingKeyStore(keys, () => stats),
    onEvent: (e) => cache.put(e),
    close: async () => {
      await cache.flush();
      cache.close();
      await store.close();
      keys.close();
    },
  };
};

async function run(cmd: WorkerCommand): Promise<unknown> {
  const baseUrl = self.location.origin;
  switch (cmd.op) {
    case "signIn":
      return signIn(sdk, await open("alice"), { baseUrl, org: cmd.org, username: cmd.username, password: cmd.password });
    case "create":
      return createChannel(sdk, open, cmd.memberIds, cmd.bulkUserId);
    case "join":
      return joinChannel(sdk, open, cmd.channelId);
    case "send": {
      const r = await sendPhase(sdk, open, cmd.mode, cmd.channelId, cmd.firstSeq, cmd.n, () => {
        stats = emptyStats();
      });
      return { ...r, writes: stats };
    }
    case "receive": {
      const r = await receivePhase(sdk, open, cmd.mode, cmd.channelId, cmd.events, 100, () => {
        stats = emptyStats();
      });
      return { ...r, writes: stats };
    }
  }
}

self.onmessage = (ev: MessageEvent<{ id: number; cmd: WorkerCommand }>) => {
  const { id, cmd } = ev.data;
  run(cmd).then(
    (value) => self.postMessage({ id, ok: true, value }),
    (err: unknown) => self.postMessage({ id, ok: false, error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) }),
  );
};
