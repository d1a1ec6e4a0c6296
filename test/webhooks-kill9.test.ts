/**
 * Done-means 3 of issue 13: outgoing webhook deliveries survive a server kill -9 and arrive
 * exactly once. The server runs in its own process; a bot (service account, API key, real SDK
 * client with MLS, stores on disk) runs the outgoing-webhook runtime against a receiver on
 * 127.0.0.1 (allowlisted). alice keeps sending matching messages while the server is killed
 * with SIGKILL and restarted on the same port, and then while the runtime itself is stopped
 * and started again from its state directory. Afterwards the receiver has got every message
 * exactly once — one accepted delivery per delivery id and per message, none missing, every
 * signature valid. On SQLite and on PostgreSQL.
 */
import test from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { createTestDatabase, DIALECTS, TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import type { ParleyClient } from "@parley/sdk";
import { until } from "../packages/sdk/src/testing/e2ee-clients.ts";
import { botInChannel, openBot } from "../packages/bot/src/testing/bot-member.ts";
import { startReceiver } from "../packages/bot/src/testing/receiver.ts";
import { sdkChannelIO } from "../packages/bot/src/testing/sdk-channel-io.ts";
import { addOutgoingWebhook, startOutgoingWebhooks, type OutgoingRuntime } from "../packages/bot/src/webhooks/outgoing.ts";
import { openWebhookState, type WebhookState } from "../packages/bot/src/webhooks/state.ts";
import { startChildServer, type ChildServer } from "./support/child.ts";

const N = 36;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const dialect of DIALECTS) {
  test(`outgoing webhook deliveries survive a server kill -9 and a runtime restart, exactly once (${dialect})`, { timeout: 240_000 }, async (t) => {
    const db = await createTestDatabase(dialect);
    t.after(() => db.drop());
    let child: ChildServer = await startChildServer({ dataDir: db.dataDir, databaseUrl: db.url, setupToken: TEST_SETUP_TOKEN });
    t.after(() => child.kill9().catch(() => undefined));
    const port = child.port;

    const fx = await botInChannel(t, child.url);
    const { alice, botUserId, channelId, dir } = fx;
    let bot: ParleyClient = fx.bot;
    const secrets = new Map<string, string>();
    const receiver = await startReceiver({ secrets: () => secrets });
    t.after(() => receiver.close());
    const reg = await alice.api.call("createIntegration", { body: { kind: "outgoing", name: "Deploy feed", botUserId, channelId, runsAt: "test host" } });
    const stateDir = path.join(dir, "webhooks");
    let state: WebhookState = openWebhookState(stateDir);
    secrets.set(
      reg.id,
      addOutgoingWebhook(state, { id: reg.id, name: reg.name, channelId, url: `${receiver.url}/ok`, triggers: { words: ["deploy"] } }).secret,
    );
    let io = sdkChannelIO(bot);
    const start = (): OutgoingRuntime => {
      io = sdkChannelIO(bot);
      return startOutgoingWebhooks({
        state,
        io,
        allow: [receiver.hostPort],
        report: (d) => io.reportDeadLetter(d),
        backoff: { baseMs: 100, maxMs: 1000 },
        maxAttempts: 1000,
        pollMs: 50,
      });
    };
    let runtime = start();
    t.after(async () => {
      await runtime.close();
      state.close();
    });

    // alice sends N matching messages (and some that do not match), paced; each send is retried
    // by her SDK until acknowledged, across the kill.
    const acked = new Map<string, number>();
    const sending = (async () => {
      for (let i = 0; i < N; i++) {
        const text = `deploy #${i}`;
        void alice.sendMessage(channelId, text).then((r) => acked.set(text, r.event.seq));
        if (i % 4 === 0) void alice.sendMessage(channelId, `chatter ${i}`);
        await sleep(150);
      }
    })();
    const deliveredCount = () => receiver.delivered().size;

    await until(() => acked.size >= 8, "some messages acknowledged before the kill", 30_000);
    await child.kill9();
    const atKill = deliveredCount();
    t.diagnostic(`server killed after ${acked.size} acks, ${atKill} deliveries`);
    await sleep(1000);
    child = await startChildServer({ dataDir: db.dataDir, databaseUrl: db.url, port });
    // The runtime, connected all along, catches up through the restarted server.
    await until(() => deliveredCount() >= atKill + 3, "deliveries resume after the server restart", 60_000);

    // The runtime stops (deliveries may be pending) and comes back from its state directory.
    // Stop hearing first, let what was heard reach the outbox, then stop delivering.
    const device = bot.session!.deviceId;
    await bot.close();
    await io.idle();
    await runtime.close();
    state.close();
    t.diagnostic(`runtime stopped after ${acked.size} acks, ${deliveredCount()} deliveries`);
    await sleep(500);
    bot = await openBot(child.url, fx.apiKey, dir);
    t.after(() => bot.close());
    assert.equal(bot.session!.deviceId, device, "the same bot device");
    state = openWebhookState(stateDir);
    runtime = start();
    bot.connect();

    await sending;
    await until(() => acked.size === N, "every send acknowledged", 60_000);
    const expected = [...acked.keys()].sort();
    const deliveredTexts = () => [...receiver.delivered().values()].map((v) => v[0]!.payload.text);
    await until(() => deliveredTexts().length >= N, `all ${N} messages delivered`, 90_000);
    await sleep(1500); // anything late would be a duplicate

    const delivered = receiver.delivered();
    assert.equal(delivered.size, N, "one delivery id per matching message");
    for (const [id, v] of delivered) assert.equal(v.length, 1, `delivery ${id} accepted once`);
    assert.deepEqual(deliveredTexts().sort(), expected, "every message once, none missing");
    for (const [, [g]] of delivered) {
      assert.ok(g!.signatureOk, "signature verifies");
      assert.equal(g!.payload.seq, acked.get(g!.payload.text), "the delivery names the message's seq");
    }
    assert.ok(
      receiver.got.every((g) => g.payload.text.startsWith("deploy #")),
      "nothing that does not match was sent",
    );
    assert.deepEqual(runtime.counts(), { pending: 0, delivered: N, dead: 0 });
    t.diagnostic(`${N} delivered exactly once; ${receiver.got.length} requests in all`);
  });
}
