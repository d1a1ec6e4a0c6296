/** Signing in to an account with MFA through the SDK: the second-factor prompt, asked again after a wrong code. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generate } from "otplib";
import { startTestServer, TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { ParleyClient, type SecondFactor } from "./index.ts";
import type { ParleyError } from "./errors.ts";

const PASSWORD = "correct horse battery staple";

test("sign-in with MFA: the prompt is asked again after a wrong code; without a prompt the challenge is the error", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const base = { baseUrl: server.url, org: "acme", username: "alice", password: PASSWORD };
  const alice = await ParleyClient.setup({
    baseUrl: server.url,
    setupToken: TEST_SETUP_TOKEN,
    orgSlug: "acme",
    orgName: "Acme",
    username: "alice",
    displayName: "Alice",
    password: PASSWORD,
    deviceName: "laptop",
  });
  t.after(() => alice.close());
  const { secret } = await alice.api.call("startTotp", { body: { currentPassword: PASSWORD } });
  await alice.api.call("confirmTotp", { body: { code: await generate({ secret }) } });

  await assert.rejects(ParleyClient.login({ ...base }), (e: unknown) => {
    const err = e as ParleyError;
    return err.code === "mfa_required" && typeof (err.details as { mfaToken: string }).mfaToken === "string";
  });

  const asked: Array<string | undefined> = [];
  // The confirming code's time step is used up: answer with the next step's code.
  const next = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
  const bob = await ParleyClient.login({
    ...base,
    deviceName: "phone",
    secondFactor: async (challenge, previous): Promise<SecondFactor> => {
      asked.push(previous?.code);
      assert.deepEqual(challenge.methods, ["totp", "recovery_code"]);
      return { code: asked.length === 1 ? "000000" : next };
    },
  });
  t.after(() => bob.close());
  assert.deepEqual(asked, [undefined, "mfa_invalid"]);
  assert.equal((await bob.api.call("me")).user.username, "alice");
});

test("a bot signs in with an API key and reads; its key's scopes bound what it may do", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const alice = await ParleyClient.setup({
    baseUrl: server.url,
    setupToken: TEST_SETUP_TOKEN,
    orgSlug: "acme",
    orgName: "Acme",
    username: "alice",
    displayName: "Alice",
    password: PASSWORD,
    deviceName: "laptop",
  });
  t.after(() => alice.close());
  const bot = await alice.api.call("createServiceAccount", { body: { username: "deploy-bot", displayName: "Deploy bot" } });
  const { key } = await alice.api.call("createServiceAccountKey", { params: { id: bot.id }, body: { name: "ci", scopes: ["read"] } });
  const client = await ParleyClient.loginWithApiKey({ baseUrl: server.url, apiKey: key, deviceName: "ci runner" });
  t.after(() => client.close());
  assert.equal((await client.api.call("me")).user.username, "deploy-bot");
  await assert.rejects(client.api.call("createChannel", { body: { kind: "public", name: "nope" } }), { code: "forbidden" });
  await assert.rejects(ParleyClient.loginWithApiKey({ baseUrl: server.url, apiKey: "pk_" + "0".repeat(43) }), { code: "invalid_credentials" });
});
