import { test } from "node:test";
import assert from "node:assert/strict";
import { passkeyUserId } from "./passkey-sign-in.ts";

test("a discoverable passkey's answer names its account by the user handle (base64url of the user id)", () => {
  const handle = Buffer.from("usr_01HZX9-ü", "utf8").toString("base64url");
  assert.equal(passkeyUserId({ id: "c", response: { userHandle: handle } }), "usr_01HZX9-ü");
  assert.equal(passkeyUserId({ id: "c", response: {} }), undefined);
  assert.equal(passkeyUserId({ id: "c" }), undefined);
  assert.equal(passkeyUserId({ id: "c", response: { userHandle: "%%%" } }), undefined);
  // Not UTF-8: no account (a new device is registered rather than a wrong one reused).
  assert.equal(passkeyUserId({ id: "c", response: { userHandle: Buffer.from([0xff, 0xfe]).toString("base64url") } }), undefined);
});
