/**
 * `parley remind` from the real binary against a real server: a time it cannot read is refused
 * with what to fix; a reminder is set, listed with its text opened on this device, and
 * cancelled; cancelling it again is `not_found`. SQLite only: the server's side runs on both
 * dialects in packages/server/src/modules/reminders/reminders.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cliOwnerOrg } from "./testing/spawn-cli.ts";

test("parley remind add, list, cancel (sqlite)", { timeout: 300_000 }, async (t) => {
  const { owner } = await cliOwnerOrg(t, "remind");

  const bad = await owner(["remind", "add", "in", "20", "parsecs", "water", "the", "plants"]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /"parsecs" is not a unit/);
  assert.match((await owner(["remind", "list"])).stdout, /no reminders/);

  const before = Date.now();
  const add = await owner(["remind", "add", "in", "2", "hours", "review the rollout", "--json"]);
  assert.equal(add.code, 0, add.stderr);
  const r = add.json().reminder as { id: string; dueAt: number; text: string };
  assert.equal(r.text, "review the rollout");
  assert.ok(r.dueAt >= before + 2 * 3_600_000 && r.dueAt <= Date.now() + 2 * 3_600_000);

  const list = await owner(["remind", "list"]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`${r.id} .*review the rollout`));

  const cancel = await owner(["remind", "cancel", r.id]);
  assert.equal(cancel.code, 0, cancel.stderr);
  assert.match((await owner(["remind", "list"])).stdout, /no reminders/);
  const again = await owner(["remind", "cancel", r.id]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /not_found|no such reminder/);
});
