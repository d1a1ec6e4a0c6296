/**
 * With PARLEY_CHECK_MLS_FRAMING on (the default everywhere but the foundation's
 * transport tests), event content must be an MLS PrivateMessage of the channel's
 * group at the event's epoch: a faulty client cannot store plaintext.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { encrypt } from "@parley/crypto";
import { startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeUser } from "../../testing/factories.ts";
import { addUsers, b64, groupOf, initChannel, mlsClient } from "../../testing/mls-clients.ts";

test("event content must be MLS ciphertext of the channel's group at the event's epoch", { timeout: 60_000 }, async () => {
  const server = await startTestServer({ config: { checkMlsFraming: true } });
  try {
    const owner = await bootstrapOrg(server);
    const bob = await makeUser(server, owner);
    // device-only: these sends carry no archive copy (modules/messages/archive-copy.test.ts covers that requirement).
    const mk = async (name: string) =>
      (await owner.api("POST", "/channels", { kind: "private", name, members: [bob.user.id], history: "device-only" })).body.id as string;
    const [one, two] = [await mk("framing-one"), await mk("framing-two")];
    const a = await mlsClient(owner);
    await mlsClient(bob);
    for (const ch of [one, two]) {
      assert.equal((await initChannel(a, ch)).status, 200);
      assert.equal((await addUsers(a, ch, [bob.user.id])).res.status, 200);
    }
    const text = (s: string) => new TextEncoder().encode(s);
    const send = (ch: string, content: string, epoch?: number) =>
      owner.api("POST", `/channels/${ch}/events`, {
        clientId: `framing-${Math.random().toString(36).slice(2, 12)}`,
        kind: "message",
        content,
        ...(epoch === undefined ? {} : { epoch }),
      });
    const before = await countRows(server, "events");

    const plain = await send(one, Buffer.from(JSON.stringify({ text: "hello in the clear" })).toString("base64"), 1);
    assert.equal(plain.status, 400);
    assert.equal(plain.body.details.reason, "not_mls_ciphertext");
    const otherGroup = await send(one, b64(await encrypt(groupOf(a, two), text("for two"))), 1);
    assert.equal(otherGroup.body.details.reason, "wrong_group");
    const real = await encrypt(groupOf(a, one), text("for one"));
    // Real ciphertext with plaintext appended: the message must span the content exactly.
    const smuggled = await send(one, Buffer.concat([real, Buffer.from(" and this in the clear")]).toString("base64"), 1);
    assert.equal(smuggled.status, 400);
    assert.equal(smuggled.body.details.reason, "not_mls_ciphertext");
    const ct = b64(real);
    assert.equal((await send(one, ct, 0)).body.details.reason, "epoch_mismatch");
    assert.equal((await send(one, ct)).body.details.reason, "epoch_mismatch", "the epoch must be named");
    assert.equal(await countRows(server, "events"), before, "nothing written");

    const ok = await send(one, ct, 1);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.event.epoch, 1);
  } finally {
    await server.stop();
  }
});
