/**
 * What each device was shown in one channel, and the fault tests' checks on it: every
 * acknowledged message a device is owed is shown to it exactly once and in seq order, nothing
 * is undecryptable, and every device ends in one epoch.
 */
import assert from "node:assert/strict";
import { inspectMlsMessage } from "@parley/crypto";
import type { Event } from "@parley/protocol";
import type { ParleyClient } from "../../packages/sdk/src/client.ts";
import type { ReceivedEvent } from "../../packages/sdk/src/client-events.ts";
import { until } from "../../packages/sdk/src/testing/e2ee-clients.ts";

export interface ChannelWatch {
  channelId: string;
  /** Each device's name (the map the watch was made with: add a device there before watching it). */
  devices: Map<ParleyClient, string>;
  /** Per device, the channel's messages with text in the order they were shown. */
  shown: Map<ParleyClient, ReceivedEvent[]>;
  undecryptable: string[];
  errors: string[];
  /** Start recording what `c` is shown (every device of `devices` is watched from the start). */
  watch(c: ParleyClient): void;
}

export function watchChannel(channelId: string, devices: Map<ParleyClient, string>): ChannelWatch {
  const w: ChannelWatch = {
    channelId,
    devices,
    shown: new Map(),
    undecryptable: [],
    errors: [],
    watch(c) {
      const name = devices.get(c) ?? "?";
      const shown: ReceivedEvent[] = [];
      w.shown.set(c, shown);
      c.on("event", (e) => {
        if (e.channelId === channelId && e.kind === "message" && e.text) shown.push(e);
      });
      c.on("undecryptable", (n) => w.undecryptable.push(`${name}: seq ${n.seq} ${n.reason} ${n.message}`));
      c.on("error", (err) => w.errors.push(`${name}: ${(err as Error).message}`));
    },
  };
  for (const c of devices.keys()) w.watch(c);
  return w;
}

/**
 * The epoch from which each device had to read the channel (for {@link assertShownOnceInOrder}):
 * 0 for its creator, for every other device the epoch its first join opened (the commit that
 * added it, or its external join). A device that never joined fails the test, with its errors.
 */
export async function joinedAt(w: ChannelWatch, creator: ParleyClient): Promise<(c: ParleyClient) => number> {
  const first = new Map<string, number>();
  for (let after = 0; ;) {
    const page = await creator.api.call("listEvents", { params: { channelId: w.channelId }, query: { after, limit: 200 } });
    for (const e of page.events.filter((x) => x.kind === "commit")) {
      const info = await inspectMlsMessage(Buffer.from(e.content, "base64"));
      const joined = [...info.adds.map((a) => a.identity), ...(info.joiner ? [info.joiner.identity] : [])];
      for (const id of joined) if (id.kind === "device" && !first.has(id.deviceId)) first.set(id.deviceId, e.epoch + 1);
    }
    if (page.events.length === 0) break;
    after = page.events.at(-1)!.seq;
  }
  return (c) => {
    if (c === creator) return 0;
    const name = w.devices.get(c) ?? "?";
    const errors = w.errors.filter((e) => e.startsWith(`${name}:`)).slice(-6);
    return (
      first.get(c.session!.deviceId) ??
      assert.fail(`${name} never joined the group (its epoch: ${c.e2ee!.epochOf(w.channelId)}; errors: ${errors.join(" | ")})`)
    );
  };
}

/**
 * Every device is shown every acknowledged message of an epoch from `fromEpoch(device)` on (within
 * `ms`), each once and in seq order, and nothing was undecryptable. The failure says who missed what.
 */
export async function assertShownOnceInOrder(w: ChannelWatch, acked: Map<string, Event>, fromEpoch: (c: ParleyClient) => number, ms: number): Promise<void> {
  for (const [c, name] of w.devices) {
    const from = fromEpoch(c);
    const owed = [...acked].filter(([, e]) => e.epoch >= from).map(([text]) => text);
    const seen = () => new Set(w.shown.get(c)!.map((e) => e.text));
    const missing = () => owed.filter((text) => !seen().has(text));
    await until(() => missing().length === 0, `${name} is shown every message it is owed`, ms).catch(() => {
      const m = missing();
      const where = m.slice(0, 5).map((text) => `${text}@seq${acked.get(text)!.seq}/epoch${acked.get(text)!.epoch}`);
      assert.fail(
        `${name} was not shown ${m.length} of the ${owed.length} acknowledged messages it is owed (from epoch ${from}): ${where.join(", ")}; device at epoch ${c.e2ee!.epochOf(w.channelId)}; undecryptable: ${w.undecryptable.slice(0, 5).join(" | ")}; errors: ${w.errors.slice(-8).join(" | ")}`,
      );
    });
  }
  for (const [c, name] of w.devices) {
    const shown = w.shown.get(c)!;
    const texts = shown.map((e) => e.text);
    const twice = texts.filter((text, i) => texts.indexOf(text) !== i);
    assert.deepEqual(twice, [], `${name} was shown messages twice`);
    const seqs = shown.map((e) => e.seq);
    const late = seqs.findIndex((s, i) => i > 0 && s < seqs[i - 1]!);
    assert.equal(late, -1, `${name} was shown seq ${seqs[late]} after seq ${seqs[late - 1]} (out of order)`);
  }
  assert.deepEqual(w.undecryptable, [], "events were undecryptable");
}

/** Every device's group of the channel ends in one epoch (within `ms`: the last commit may still be travelling). */
export async function assertOneEpoch(clients: Map<ParleyClient, string>, channelId: string, ms: number): Promise<void> {
  const epochs = () => [...clients].map(([c, name]) => `${name} ${c.e2ee!.epochOf(channelId)}`).join(", ");
  await until(() => new Set([...clients.keys()].map((c) => c.e2ee!.epochOf(channelId))).size === 1, `every device ends in one epoch (${epochs()})`, ms).catch(
    () => assert.fail(`the devices did not end in one epoch: ${epochs()}`),
  );
}
