import { test } from "node:test";
import assert from "node:assert/strict";
import { generateLockerKeyPair } from "./locker.ts";
import { openKeywords, sealKeywords } from "./sealed-keywords.ts";

test("keywords sealed to the locker open with its private key for the same owner only", async () => {
  const locker = generateLockerKeyPair();
  const owner = { orgId: "org-1", userId: "user-1" };
  const sealed = await sealKeywords(locker.publicKey, owner, ["deploy", "Zoë", "on-call"]);
  assert.ok(!new TextDecoder().decode(sealed).includes("deploy"), "not in the clear");
  assert.deepEqual(await openKeywords(locker.privateKey, owner, sealed), ["deploy", "Zoë", "on-call"]);
  assert.equal(await openKeywords(locker.privateKey, { ...owner, userId: "user-2" }, sealed), undefined, "bound to its owner");
  assert.equal(await openKeywords(generateLockerKeyPair().privateKey, owner, sealed), undefined, "another locker cannot open it");
  const altered = sealed.slice();
  altered[altered.length - 1]! ^= 1;
  assert.equal(await openKeywords(locker.privateKey, owner, altered), undefined, "altered");
  await assert.rejects(sealKeywords(locker.publicKey, owner, ["x".repeat(65)]), /at most/);
});
