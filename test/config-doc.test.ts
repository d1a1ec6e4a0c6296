/**
 * docs/configuration.md is generated from the config schema; this fails when
 * someone adds or changes a setting without regenerating it (`npm run docs:config`).
 */
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { CONFIG_DOC_PATH, renderConfigDoc } from "../packages/server/scripts/config-doc.ts";
import { SETTINGS } from "@parley/server";

test("docs/configuration.md matches the config schema (run `npm run docs:config` if not)", () => {
  const committed = fs.readFileSync(CONFIG_DOC_PATH, "utf8");
  assert.equal(committed, renderConfigDoc(), "docs/configuration.md is stale: run `npm run docs:config`");
});

test("every setting is documented with its variable, and secrets are marked", () => {
  const doc = renderConfigDoc();
  for (const s of Object.values(SETTINGS) as Array<{ env: string; doc: string; secret?: boolean }>) {
    const row = doc.split("\n").find((l) => l.startsWith(`| \`${s.env}\` |`));
    assert.ok(row, `${s.env} is missing`);
    assert.ok(s.doc.length > 0, `${s.env} has no description`);
    assert.equal(row.includes("**secret**"), Boolean(s.secret), `${s.env}: secret marking`);
  }
});
