/**
 * Outgoing webhooks against a real server and real SDK clients (MLS on): alice writes in the
 * private E2EE channel; the bot's runtime hears the decrypted messages and POSTs the matching
 * ones, signed, to a receiver on 127.0.0.1 (let through the SSRF guard by the allowlist). Retries,
 * dead letters (redirect, hang, 410, refused address) reported to the server without content,
 * and a runtime restart with deliveries pending.
 */
import test from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { IntegrationKind } from "@parley/protocol";
import type { ParleyClient } from "@parley/sdk";
import { startTestServer } from "@parley/server/testing/harness";
import { until } from "../../../sdk/src/testing/e2ee-clients.ts";
import { botInChannel, openBot } from "../testing/bot-member.ts";
import { startCounter, startReceiver } from "../testing/receiver.ts";
import { sdkChannelIO } from "../testing/sdk-channel-io.ts";
import { addOutgoingWebhook, backoffDelay, matchTrigger, startOutgoingWebhooks, type Triggers } from "./outgoing.ts";
import { openWebhookState, type WebhookState } from "./state.ts";

/** Poll an async condition. */
async function eventually(cond: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("triggers and backoff", () => {
  const t: Triggers = { words: ["deploy", "Rollback"], prefix: "!ci " };
  assert.equal(matchTrigger(t, "please DEPLOY now"), "deploy");
  assert.equal(matchTrigger(t, "rollback!"), "Rollback");
  assert.equal(matchTrigger(t, "!ci run tests"), "!ci ");
  assert.equal(matchTrigger(t, "redeployment"), undefined, "whole words only");
  assert.equal(matchTrigger(t, "x !ci run"), undefined, "the prefix starts the text");
  for (let n = 1; n <= 12; n++) {
    const cap = Math.min(60_000, 1000 * 2 ** (n - 1));
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(n, { baseMs: 1000, maxMs: 60_000 });
      assert.ok(d >= cap / 2 && d <= cap, `attempt ${n}: ${d} within [${cap / 2}, ${cap}]`);
    }
  }
});

test(
  "outgoing webhooks: signed deliveries, retries, dead letters reported without content, SSRF refusals, runtime restart",
  { timeout: 180_000 },
  async (t) => {
    const server = await startTestServer({ config: { checkMlsFraming: true } });
    t.after(() => server.stop());
    const fx = await botInChannel(t, server.url);
    const { alice, botUserId, channelId, dir } = fx;
    let bot: ParleyClient = fx.bot;

    const secrets = new Map<string, string>();
    const internal = await startCounter();
    t.after(() => internal.close());
    const receiver = await startReceiver({ secrets: () => secrets, redirectTo: `${internal.url}/admin/reset`, flakyFailures: 2 });
    t.after(() => receiver.close());

    const register = async (state: WebhookState, name: string, urlPath: string, triggers: Triggers, base = receiver.url) => {
      const reg = await alice.api.call("createIntegration", {
        body: { kind: "outgoing" as IntegrationKind, name, botUserId, channelId, runsAt: "bot host 1" },
      });
      secrets.set(reg.id, addOutgoingWebhook(state, { id: reg.id, name, channelId, url: `${base}${urlPath}`, triggers }).secret);
      return reg.id;
    };

    // Runtime 1 lets the receiver through; runtime 2 (its own state) has no allowlist.
    let state = openWebhookState(path.join(dir, "webhooks"));
    const refusedState = openWebhookState(path.join(dir, "webhooks-no-allowlist"));
    t.after(() => refusedState.close());
    const ids = {
      deploy: await register(state, "Deploys", "/ok", { words: ["deploy"], prefix: "!ci " }),
      flaky: await register(state, "Flaky", "/flaky", { words: ["flaky"] }),
      redirect: await register(state, "Redirector", "/redirect", { words: ["redirect"] }),
      hang: await register(state, "Hanger", "/hang", { words: ["hang"] }),
      gone: await register(state, "Gone", "/gone", { words: ["gone"] }),
      refused: await register(refusedState, "Not allowlisted", "/ok", { words: ["deploy"] }),
      refusedByName: await register(refusedState, "Localhost by name", "/ok", { words: ["deploy"] }, receiver.url.replace("127.0.0.1", "localhost")),
    };
    let current = sdkChannelIO(bot); // the ChannelIO of the allowlisted runtime
    const common = { timeoutMs: 400, maxAttempts: 3, backoff: { baseMs: 100, maxMs: 400 }, pollMs: 50 };
    const start = (s: WebhookState, allow: string[], maxAttempts = common.maxAttempts) => {
      const channel = sdkChannelIO(bot);
      if (s === state) current = channel;
      return startOutgoingWebhooks({ ...common, maxAttempts, state: s, io: channel, allow, report: (d) => channel.reportDeadLetter(d) });
    };
    let runtime = start(state, [receiver.hostPort]);
    const refusedRuntime = start(refusedState, []);
    t.after(() => refusedRuntime.close());

    const sent = new Map<string, number>();
    const say = async (text: string) => sent.set(text, (await alice.sendMessage(channelId, text)).event.seq);
    const deadLetters = async (id: string) => (await alice.api.call("listIntegrationDeadLetters", { params: { id }, query: {} })).deadLetters;

    await t.test("matching messages are delivered once each, signed, with a stable delivery id; others are not", async () => {
      for (const text of ["please deploy now", "nothing to see", "!ci run tests", "DEPLOY again", "deployment talk only"]) await say(text);
      await until(() => receiver.delivered().size >= 3, "three deliveries", 20_000);
      await new Promise((r) => setTimeout(r, 500));
      const ok = receiver.got.filter((g) => g.path === "/ok" && g.payload.integration.id === ids.deploy);
      assert.deepEqual(ok.map((g) => g.payload.text).sort(), ["!ci run tests", "DEPLOY again", "please deploy now"]);
      assert.equal(new Set(ok.map((g) => g.deliveryId)).size, 3, "one delivery id per message");
      for (const g of ok) {
        assert.ok(g.signatureOk, "the signature verifies with the integration's secret");
        assert.equal(g.attempt, 1);
        assert.equal(g.payload.deliveryId, g.deliveryId);
        assert.equal(g.payload.seq, sent.get(g.payload.text));
        assert.equal(g.payload.senderId, alice.userId);
        assert.equal(g.payload.channelId, channelId);
      }
    });

    await t.test("not allowlisted: 127.0.0.1 and localhost are refused, dead-lettered and reported (no content); nothing reaches the receiver", async () => {
      await eventually(
        async () => (await deadLetters(ids.refused)).length === 2 && (await deadLetters(ids.refusedByName)).length === 2,
        "refusals reported",
        20_000,
      );
      assert.equal(receiver.got.filter((g) => g.payload.integration.id === ids.refused || g.payload.integration.id === ids.refusedByName).length, 0);
      for (const dl of [...(await deadLetters(ids.refused)), ...(await deadLetters(ids.refusedByName))]) {
        assert.match(dl.lastError, /^ssrf_refused: .*(127\.0\.0\.1|::1).*loopback/);
        assert.equal(dl.attempts, 1, "a refused address is final");
        assert.equal(dl.lastStatus, null);
        assert.ok(!JSON.stringify(dl).toLowerCase().includes("deploy"), "no content in the dead letter");
      }
      assert.match((await deadLetters(ids.refusedByName))[0]!.targetHost, /^localhost:\d+$/);
    });

    await t.test("a flaky target is retried with backoff and gets the delivery on the third attempt", async () => {
      await say("flaky build");
      await until(() => receiver.got.some((g) => g.path === "/flaky" && g.status === 200), "the flaky delivery succeeded", 20_000);
      const tries = receiver.got.filter((g) => g.path === "/flaky");
      assert.deepEqual(
        tries.map((g) => [g.attempt, g.status]),
        [
          [1, 503],
          [2, 503],
          [3, 200],
        ],
      );
      assert.equal(new Set(tries.map((g) => g.deliveryId)).size, 1, "the same delivery id on every attempt");
      assert.deepEqual(await deadLetters(ids.flaky), []);
    });

    await t.test("a redirect to 127.0.0.1 internals is refused and reported; a hanging target times out; a 410 is final", async () => {
      await say("redirect me");
      await say("hang on");
      await say("gone away");
      await eventually(
        async () => (await deadLetters(ids.redirect)).length === 1 && (await deadLetters(ids.hang)).length === 1 && (await deadLetters(ids.gone)).length === 1,
        "three dead letters reported",
        20_000,
      );
      assert.equal(internal.hits(), 0, "the redirect was not followed");
      const [redirect] = await deadLetters(ids.redirect);
      assert.equal(redirect!.lastStatus, 302);
      assert.match(redirect!.lastError, /^redirect_refused: .*127\.0\.0\.1:\d+\/admin\/reset/);
      assert.equal(redirect!.attempts, 1);
      assert.equal(redirect!.seq, sent.get("redirect me"));
      const [hang] = await deadLetters(ids.hang);
      assert.match(hang!.lastError, /^timeout/);
      assert.equal(hang!.attempts, 3, "retried up to maxAttempts");
      assert.equal(receiver.got.filter((g) => g.path === "/hang").length, 3);
      const [gone] = await deadLetters(ids.gone);
      assert.deepEqual([gone!.lastStatus, gone!.lastError, gone!.attempts], [410, "http_410", 1]);
      assert.equal(gone!.targetHost, receiver.hostPort);
    });

    await t.test("runtime restart: pending deliveries and messages sent while it was down arrive exactly once", async () => {
      // Patient now: the receiver is down for a while.
      await runtime.close();
      runtime = start(state, [receiver.hostPort], 100);
      receiver.paused = true;
      for (let i = 1; i <= 4; i++) await say(`deploy batch ${i}`);
      await until(() => receiver.got.filter((g) => g.payload.text.startsWith("deploy batch")).length >= 4, "the batch was attempted (503)", 20_000);
      const device = bot.session!.deviceId;
      // Stop hearing first, let what was heard reach the outbox, then stop delivering.
      await bot.close();
      await current.idle();
      await runtime.close();
      state.close();
      for (let i = 5; i <= 7; i++) await say(`deploy batch ${i}`);
      receiver.paused = false;
      // The same device comes back from its state directory.
      bot = await openBot(server.url, fx.apiKey, dir);
      t.after(() => bot.close());
      state = openWebhookState(path.join(dir, "webhooks"));
      t.after(() => state.close());
      runtime = start(state, [receiver.hostPort], 100);
      t.after(() => runtime.close());
      assert.equal(bot.session!.deviceId, device, "the runtime came back as the same device");
      bot.connect();
      await bot.waitUntilLive();
      const batch = () => [...receiver.delivered().values()].filter((v) => v[0]!.payload.text.startsWith("deploy batch"));
      await until(() => batch().length === 7, "all seven batch messages delivered", 30_000);
      await new Promise((r) => setTimeout(r, 800));
      assert.equal(batch().length, 7);
      for (const v of batch()) assert.equal(v.length, 1, `${v[0]!.payload.text} delivered once`);
      assert.deepEqual(
        batch()
          .map((v) => v[0]!.payload.text)
          .sort(),
        [1, 2, 3, 4, 5, 6, 7].map((i) => `deploy batch ${i}`),
      );
      assert.deepEqual(runtime.counts().pending, 0);
    });
  },
);
