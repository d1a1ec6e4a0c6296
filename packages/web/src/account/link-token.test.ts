import { test } from "node:test";
import assert from "node:assert/strict";
import { tokenFromFragment } from "./link-token.ts";

const TOKEN = "tok_0123456789abcdefXYZ";

test("link token: read from the URL fragment (with or without #, among other parameters)", () => {
  assert.equal(tokenFromFragment(`#token=${TOKEN}`), TOKEN);
  assert.equal(tokenFromFragment(`token=${TOKEN}`), TOKEN);
  assert.equal(tokenFromFragment(`#x=1&token=${TOKEN}&y=2`), TOKEN);
  // Percent-encoding (a mail client may escape characters) is undone; a literal "+" stays a "+".
  assert.equal(tokenFromFragment(`#token=${encodeURIComponent("a+b/c=d_0123456789abcdef")}`), "a+b/c=d_0123456789abcdef");
  assert.equal(tokenFromFragment("#token=a+b_0123456789abcdef"), "a+b_0123456789abcdef");
});

test("link token: missing, empty or out-of-range tokens read as none", () => {
  assert.equal(tokenFromFragment(""), undefined);
  assert.equal(tokenFromFragment("#"), undefined);
  assert.equal(tokenFromFragment("#token="), undefined);
  assert.equal(tokenFromFragment("#tok=abcdefabcdefabcdefabcdef"), undefined);
  assert.equal(tokenFromFragment("#token=tooshort"), undefined);
  assert.equal(tokenFromFragment("#token=%E0%A4%A_0123456789abcdef"), undefined);
  assert.equal(tokenFromFragment(`#token=${"a".repeat(129)}`), undefined);
  assert.equal(tokenFromFragment(`#token=${"a".repeat(128)}`), "a".repeat(128));
});
