import { test } from "node:test";
import assert from "node:assert/strict";
import { matchKeyword, parseKeywords } from "./keywords.ts";

test("keywords match whole words, ignoring case and accents", () => {
  const k = ["deploy", "Zoë", "on call", "c++"];
  assert.equal(matchKeyword("Who can deploy tonight?", k), "deploy");
  assert.equal(matchKeyword("DEPLOY!", k), "deploy");
  assert.equal(matchKeyword("#deploy is red", k), "deploy");
  assert.equal(matchKeyword("we redeploy often", k), undefined, "not inside a word");
  assert.equal(matchKeyword("the deployment failed", k), undefined, "not the start of a longer word");
  assert.equal(matchKeyword("deploy_bot posted", k), undefined, "underscore joins words");
  assert.equal(matchKeyword("ask zoe", k), "Zoë", "accents ignored in the text");
  assert.equal(matchKeyword("ask ZOË about it", k), "Zoë");
  assert.equal(matchKeyword("Zoëtrope", k), undefined);
  assert.equal(matchKeyword("who is On  Call\ntoday", k), "on call", "several words, any white space");
  assert.equal(matchKeyword("on calling", k), undefined);
  assert.equal(matchKeyword("I like C++.", k), "c++", "a keyword ending in punctuation");
  assert.equal(matchKeyword("Ünïcödé naïve café", ["cafe", "naive"]), "cafe");
  assert.equal(matchKeyword("", k), undefined);
  assert.equal(matchKeyword("deploy", []), undefined);
  // Decomposed input (e + combining diaeresis) matches a precomposed keyword.
  assert.equal(matchKeyword("hi Zoe\u0308", ["zoë"]), "zoë");
});

test("parseKeywords trims, drops empties and duplicates by folded form, and caps length and count", () => {
  assert.deepEqual(parseKeywords(" deploy, Deploy ,\n Zoë,zoe,, on   call "), ["deploy", "Zoë", "on call"]);
  assert.equal(parseKeywords("x".repeat(100))[0]!.length, 64);
  assert.equal(parseKeywords(Array.from({ length: 80 }, (_, i) => `k${i}`).join(",")).length, 50);
});
