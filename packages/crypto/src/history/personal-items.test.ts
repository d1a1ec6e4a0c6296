import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8, utf8 } from "../bytes.ts";
import { isE2eeError } from "../errors.ts";
import { generateLockerKeyPair } from "./locker.ts";
import { personalKeys } from "./personal-items.ts";

const owner = { orgId: "org_1", userId: "usr_1" };

describe("personal store keys", () => {
  it("two devices with the same locker key name items alike and open each other's seals", async () => {
    const { privateKey } = generateLockerKeyPair();
    const a = personalKeys(privateKey, owner);
    const b = personalKeys(privateKey.slice(), owner);
    const k = a.itemKey("draft", "ch_42");
    assert.equal(k, b.itemKey("draft", "ch_42"));
    assert.match(k, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(k, a.itemKey("saved", "ch_42"));
    assert.notEqual(k, a.itemKey("draft", "ch_43"));
    const sealed = await a.seal("draft", k, utf8("half-written reply"));
    assert.equal(fromUtf8(await b.open("draft", k, sealed)), "half-written reply");
    // Padded to 256-byte buckets: a short and a slightly longer draft look the same size.
    assert.equal((await a.seal("draft", k, utf8("x"))).length, (await a.seal("draft", k, utf8("x".repeat(200)))).length);
    assert.equal(fromUtf8(await a.open("draft", k, await a.seal("draft", k, new Uint8Array()))), "");
  });

  it("refuses another user's key, a moved item, another kind and changed bytes", async () => {
    const { privateKey } = generateLockerKeyPair();
    const a = personalKeys(privateKey, owner);
    const k = a.itemKey("saved", "ch_1/7");
    const sealed = await a.seal("saved", k, utf8("secret"));
    const refused = async (p: Promise<unknown>) =>
      assert.ok(
        isE2eeError(
          await p.then(
            () => undefined,
            (e: unknown) => e,
          ),
          "personal_open_failed",
        ),
      );
    await refused(personalKeys(generateLockerKeyPair().privateKey, owner).open("saved", k, sealed));
    await refused(personalKeys(privateKey, { ...owner, userId: "usr_2" }).open("saved", k, sealed));
    await refused(a.open("saved", a.itemKey("saved", "ch_1/8"), sealed));
    await refused(a.open("draft", k, sealed));
    const flipped = sealed.slice();
    flipped[flipped.length - 1]! ^= 1;
    await refused(a.open("saved", k, flipped));
    assert.notEqual(personalKeys(privateKey, { ...owner, userId: "usr_2" }).itemKey("saved", "ch_1/7"), k);
  });
});
