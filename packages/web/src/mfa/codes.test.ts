import { test } from "node:test";
import assert from "node:assert/strict";
import { groupSecret, isTotpCode, recoveryCodeInput, recoveryCodesFileName, recoveryCodesText, svgDataUrl, totpInput } from "./codes.ts";

test("an authenticator code keeps its digits as typed or pasted, at most six", () => {
  assert.equal(totpInput("123 456"), "123456");
  assert.equal(totpInput(" 12-34 5"), "12345");
  assert.equal(totpInput("12a3b"), "123");
  assert.equal(totpInput("1234567890"), "123456");
  assert.equal(totpInput("abc"), "");
  assert.equal(isTotpCode("123456"), true);
  assert.equal(isTotpCode("12345"), false);
  assert.equal(isTotpCode("1234567"), false);
  assert.equal(isTotpCode("12345a"), false);
});

test("a recovery code is ten letters or digits, dashes and spaces aside; it is sent as typed (trimmed)", () => {
  assert.equal(recoveryCodeInput("  abcde-23456 "), "abcde-23456");
  assert.equal(recoveryCodeInput("ABCDE 23456"), "ABCDE 23456");
  assert.equal(recoveryCodeInput("abcde23456"), "abcde23456");
  assert.equal(recoveryCodeInput("abcde-2345"), undefined);
  assert.equal(recoveryCodeInput("abcde-234567"), undefined);
  assert.equal(recoveryCodeInput("abcde_23456"), undefined);
  assert.equal(recoveryCodeInput(""), undefined);
});

test("the key for typing by hand comes in groups of four, upper case", () => {
  assert.equal(groupSecret("jbswy3dpehpk3pxpjbsw"), "JBSW Y3DP EHPK 3PXP JBSW");
  assert.equal(groupSecret("JBSWY3DPE"), "JBSW Y3DP E");
  assert.equal(groupSecret(" JB SW "), "JBSW");
  assert.equal(groupSecret(""), "");
});

test("the QR code is an image URL: the SVG is base64 inside, never markup in the page", () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><title>Parley — QR</title><rect width="1" height="1"/></svg>';
  const url = svgDataUrl(svg);
  assert.match(url, /^data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+$/);
  assert.equal(Buffer.from(url.split(",")[1]!, "base64").toString("utf8"), svg);
});

test("the recovery codes file says whose they are and how to use them, one code a line", () => {
  const codes = Array.from({ length: 10 }, (_, i) => `code${i}-abcde`);
  const text = recoveryCodesText({ codes, username: "alice", orgName: "Acme", createdAt: new Date("2026-03-04T10:00:00Z") });
  const lines = text.split("\n");
  assert.equal(lines[0], "Parley recovery codes for alice in Acme");
  assert.equal(lines[1], "Created 2026-03-04.");
  assert.match(text, /Each code signs you in once/);
  assert.match(text, /New codes replace all of these/);
  assert.deepEqual(lines.slice(-11, -1), codes);
  assert.ok(text.endsWith("\n"));
  assert.equal(recoveryCodesFileName("acme", "alice"), "parley-recovery-codes-acme-alice.txt");
  assert.equal(recoveryCodesFileName("acme", "a/b c"), "parley-recovery-codes-acme-a_b_c.txt");
});
