/**
 * Incoming webhooks against a real server and real SDK clients (MLS on): a bot service account
 * signed in with an API key serves POST /hooks/<id> over HTTPS; a valid call posts into the
 * private E2EE channel and the human members decrypt it, with the integration's name and where
 * it runs sealed in the content. Every bad input gets its stable code and posts nothing.
 */
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ParleyClient, ReceivedEvent } from "@parley/sdk";
import { selfSignedCertificate } from "@parley/server/testing/certs";
import { startTestServer } from "@parley/server/testing/harness";
import { freePort } from "@parley/server/testing/ports";
import { until } from "../../../sdk/src/testing/e2ee-clients.ts";
import { botInChannel } from "../testing/bot-member.ts";
import { callHook } from "../testing/https-call.ts";
import { sdkChannelIO } from "../testing/sdk-channel-io.ts";
import { addIncomingWebhook, startIncomingWebhooks } from "./incoming.ts";
import { signBody } from "./signature.ts";
import { openWebhookState } from "./state.ts";

function heard(c: ParleyClient): ReceivedEvent[] {
  const got: ReceivedEvent[] = [];
  c.on("message", (e) => got.push(e));
  return got;
}

test("incoming webhooks: a valid call posts encrypted into the channel; bad input is refused with stable codes", { timeout: 120_000 }, async (t) => {
  const server = await startTestServer({ config: { checkMlsFraming: true } });
  t.after(() => server.stop());
  const { alice, bob, bot, botUserId, channelId, dir } = await botInChannel(t, server.url);
  const aliceGot = heard(alice);
  const bobGot = heard(bob);

  // Registered with the server (metadata), then configured in the runtime under the same id.
  const reg = await alice.api.call("createIntegration", {
    body: { kind: "incoming", name: "CI notifier", botUserId, channelId, runsAt: "ci-runner-3.example.net" },
  });
  const state = openWebhookState(path.join(dir, "webhooks"));
  t.after(() => state.close());
  const plain = addIncomingWebhook(state, { id: reg.id, name: reg.name, channelId, runsAt: reg.runsAt });
  const signed = addIncomingWebhook(state, { id: "signed-hook", name: "Signed CI", channelId, runsAt: "ci-runner-3.example.net", signed: true });
  const flood = addIncomingWebhook(state, { id: "flood-hook", name: "Chatty", channelId, runsAt: "somewhere" });
  const tlsDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-hook-tls-"));
  t.after(() => fs.rmSync(tlsDir, { recursive: true, force: true }));
  const tls = selfSignedCertificate(tlsDir);
  let clock = Date.now();
  const io = sdkChannelIO(bot, { cacheMs: 0 });
  const hooks = await startIncomingWebhooks({
    state,
    io,
    // Only the registered integration is checked against the registry; the others are runtime-only.
    enabled: (id) => (id === reg.id ? io.enabled(id) : Promise.resolve(true)),
    tls: { key: tls.key, cert: tls.cert },
    port: await freePort(),
    maxBodyBytes: 4096,
    rateLimit: { perMinute: 6, burst: 12 },
    now: () => clock,
  });
  t.after(() => hooks.close());
  const json = { "content-type": "application/json" };
  const call = (id: string, token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    callHook(`${hooks.url}/hooks/${id}`, tls.cert, {
      headers: { ...json, ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  await t.test("a valid call posts; both members decrypt it, labelled with the integration and where it runs", async () => {
    const r = await call(reg.id, plain.token, { text: "build #41 passed ✅", extra: "ignored" });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const seq = r.body.seq!;
    for (const [who, got] of [
      ["alice", aliceGot],
      ["bob", bobGot],
    ] as const) {
      await until(() => got.some((e) => e.seq === seq), `${who} reads the webhook's post`);
      const e = got.find((x) => x.seq === seq)!;
      assert.equal(e.text, "build #41 passed ✅");
      assert.equal(e.senderId, botUserId, "the bot posted it");
      assert.deepEqual(e.content.integration, { id: reg.id, name: "CI notifier", runsAt: "ci-runner-3.example.net" });
      assert.equal(e.content.extra, undefined, "unknown body fields are not posted");
      assert.ok(!Buffer.from(e.raw.content, "base64").toString("latin1").includes("build #41"), "ciphertext on the wire");
    }
  });

  const before = () => aliceGot.length;
  const refused = async (what: string, p: Promise<{ status: number; body: { code?: string } }>, status: number, code: string) => {
    const n = before();
    const r = await p;
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.code, code, what);
    return n;
  };

  await t.test("wrong or missing token, unknown integration, wrong path or method", async () => {
    const n = before();
    await refused("no token", call(reg.id, undefined, { text: "x" }), 401, "unauthorized");
    await refused("wrong token", call(reg.id, plain.token + "x", { text: "x" }), 401, "unauthorized");
    await refused("another integration's token", call(reg.id, signed.token, { text: "x" }), 401, "unauthorized");
    await refused("unknown integration", call("nope", plain.token, { text: "x" }), 401, "unauthorized");
    await refused("wrong path", callHook(`${hooks.url}/other`, tls.cert, { headers: json, body: "{}" }), 404, "not_found");
    await refused(
      "GET",
      callHook(`${hooks.url}/hooks/${reg.id}`, tls.cert, { method: "GET", headers: { authorization: `Bearer ${plain.token}` } }),
      405,
      "method_not_allowed",
    );
    assert.equal(before(), n);
  });

  await t.test("oversized, malformed, schema-invalid and non-JSON bodies", async () => {
    const n = before();
    await refused("declared oversized", call(reg.id, plain.token, { text: "x".repeat(5000) }), 413, "body_too_large");
    const chunked = await callHook(`${hooks.url}/hooks/${reg.id}`, tls.cert, {
      headers: { ...json, authorization: `Bearer ${plain.token}`, "transfer-encoding": "chunked" },
      body: JSON.stringify({ text: "y".repeat(6000) }),
      declaredLength: -1,
    }).catch((err: unknown) => ({ status: 0, headers: {}, body: { code: (err as Error).message } }));
    assert.equal(chunked.status, 413, "a body without a length is cut off at the limit too");
    await refused("not JSON", call(reg.id, plain.token, "{text:"), 400, "malformed_json");
    await refused("no text", call(reg.id, plain.token, { message: "hi" }), 400, "invalid_body");
    await refused("empty text", call(reg.id, plain.token, { text: "   " }), 400, "invalid_body");
    await refused("text not a string", call(reg.id, plain.token, { text: 42 }), 400, "invalid_body");
    await refused("bad thread root", call(reg.id, plain.token, { text: "x", threadRoot: -1 }), 400, "invalid_body");
    await refused("array body", call(reg.id, plain.token, [1]), 400, "invalid_body");
    await refused("form body", call(reg.id, plain.token, "text=x", { "content-type": "application/x-www-form-urlencoded" }), 415, "unsupported_media_type");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(before(), n, "nothing was posted");
  });

  await t.test("signed integration: missing, wrong, stale and replayed signatures are refused; a fresh one posts", async () => {
    const body = JSON.stringify({ text: "signed deploy done" });
    const now = Math.floor(clock / 1000);
    const n = before();
    await refused("missing", call("signed-hook", signed.token, body), 401, "signature_missing");
    await refused("garbage", call("signed-hook", signed.token, body, { "x-parley-signature": "t=1,v1=zz" }), 401, "signature_invalid");
    await refused(
      "wrong secret",
      call("signed-hook", signed.token, body, { "x-parley-signature": signBody("whs_other", body, now) }),
      401,
      "signature_invalid",
    );
    await refused(
      "other body",
      call("signed-hook", signed.token, body, { "x-parley-signature": signBody(signed.signingSecret!, body + " ", now) }),
      401,
      "signature_invalid",
    );
    await refused(
      "6 min old",
      call("signed-hook", signed.token, body, { "x-parley-signature": signBody(signed.signingSecret!, body, now - 360) }),
      401,
      "signature_stale",
    );
    await refused(
      "6 min ahead",
      call("signed-hook", signed.token, body, { "x-parley-signature": signBody(signed.signingSecret!, body, now + 360) }),
      401,
      "signature_stale",
    );
    assert.equal(before(), n);
    const sig = signBody(signed.signingSecret!, body, now - 10);
    const ok = await call("signed-hook", signed.token, body, { "x-parley-signature": sig });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    await refused("replayed", call("signed-hook", signed.token, body, { "x-parley-signature": sig }), 401, "signature_replayed");
    clock += 200_000;
    await refused("replayed later, still inside the window", call("signed-hook", signed.token, body, { "x-parley-signature": sig }), 401, "signature_replayed");
    clock += 200_000;
    await refused("replayed after the window", call("signed-hook", signed.token, body, { "x-parley-signature": sig }), 401, "signature_stale");
    await until(() => aliceGot.some((e) => e.text === "signed deploy done"), "the signed call was posted");
    assert.equal(aliceGot.filter((e) => e.text === "signed deploy done").length, 1, "posted once");
  });

  await t.test("a flood is rate limited per integration with Retry-After; other integrations still post", async () => {
    const answers = [];
    for (let i = 0; i < 14; i++) answers.push(await call("flood-hook", flood.token, { text: "" }));
    const limited = answers.filter((a) => a.status === 429);
    assert.equal(answers.filter((a) => a.status === 400).length, 12, "the burst passes to validation");
    assert.equal(limited.length, 2);
    assert.equal(limited[0]!.body.code, "rate_limited");
    assert.equal(limited[0]!.headers["retry-after"], "10", "one token per 10 s at 6 a minute");
    const other = await call(reg.id, plain.token, { text: "still here" });
    assert.equal(other.status, 200, "another integration is not limited by the flood");
    clock += 10_000;
    assert.equal((await call("flood-hook", flood.token, { text: "after the wait" })).status, 200, "after Retry-After it posts again");
  });

  await t.test("an integration an admin disabled answers 403 integration_disabled until enabled again", async () => {
    await alice.api.call("updateIntegration", { params: { id: reg.id }, body: { enabled: false } });
    const n = before();
    await refused("disabled", call(reg.id, plain.token, { text: "while disabled" }), 403, "integration_disabled");
    await alice.api.call("updateIntegration", { params: { id: reg.id }, body: { enabled: true } });
    assert.equal((await call(reg.id, plain.token, { text: "enabled again" })).status, 200);
    await until(() => aliceGot.some((e) => e.text === "enabled again"), "posted after re-enabling");
    assert.ok(!aliceGot.some((e) => e.text === "while disabled"));
    assert.ok(before() > n);
  });
});
