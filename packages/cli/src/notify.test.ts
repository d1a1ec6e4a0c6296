/**
 * `parley notify` from the real binary against a real server: show the defaults, set the level,
 * a channel override, a snooze, do-not-disturb hours and mention email, each read back from the
 * server; bad input is a usage error that changes nothing. SQLite only: the server's side runs
 * on both dialects in packages/server/src/modules/notifications/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cliOwnerOrg } from "./testing/spawn-cli.ts";

test("parley notify show, level, channel, snooze, dnd, email (sqlite)", { timeout: 300_000 }, async (t) => {
  const { owner } = await cliOwnerOrg(t, "notify");
  assert.equal((await owner(["channel", "create", "news"])).code, 0);
  const show = async () => {
    const r = await owner(["notify", "show", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    return r.json();
  };

  const first = await owner(["notify", "show"]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /level: +mentions/);
  assert.match(first.stdout, /mention email: +off/);

  assert.equal((await owner(["notify", "level", "all"])).code, 0);
  const ch = await owner(["notify", "channel", "news", "muted"]);
  assert.equal(ch.code, 0, ch.stderr);
  assert.match(ch.stdout, /#news: muted/);
  const before = Date.now();
  assert.equal((await owner(["notify", "snooze", "2h"])).code, 0);
  const dnd = await owner(["notify", "dnd", "22:00-07:30", "--days", "mon,fri", "--time-zone", "Europe/Berlin"]);
  assert.equal(dnd.code, 0, dnd.stderr);
  const email = await owner(["notify", "email", "on", "--delay", "30"]);
  assert.equal(email.code, 0, email.stderr);
  assert.match(email.stdout, /after 30 minutes/);

  const s = await show();
  assert.equal(s.level, "all");
  assert.equal(s.channels.length, 1);
  assert.equal(s.channels[0].level, "muted");
  assert.ok(s.snoozeUntil >= before + 2 * 3600_000 && s.snoozeUntil <= Date.now() + 2 * 3600_000, "snoozed for two hours");
  assert.equal(s.timeZone, "Europe/Berlin");
  assert.deepEqual(s.dndSchedule, [
    { day: 1, start: 22 * 60, end: 7 * 60 + 30 },
    { day: 5, start: 22 * 60, end: 7 * 60 + 30 },
  ]);
  assert.deepEqual(s.email, { enabled: true, delayMinutes: 30 });
  const text = await owner(["notify", "show"]);
  assert.match(text.stdout, /#news +muted/);
  assert.match(text.stdout, /22:00-07:30 mon,fri \(Europe\/Berlin\)/);

  // Bad input: usage errors, nothing changed.
  for (const args of [
    ["notify", "level", "loud"],
    ["notify", "channel", "news", "sometimes"],
    ["notify", "snooze", "soon"],
    ["notify", "dnd", "25:00-07:00"],
    ["notify", "dnd", "22:00-07:00", "--days", "funday"],
    ["notify", "email", "maybe"],
    ["notify", "email", "on", "--delay", "0"],
  ]) {
    const r = await owner(args);
    assert.notEqual(r.code, 0, args.join(" "));
  }
  const missing = await owner(["notify", "channel", "nowhere", "muted"]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /not in a channel named "nowhere"/);
  assert.deepEqual(await show(), s);

  // Undo: channel back to default, snooze and dnd off, email off.
  assert.equal((await owner(["notify", "channel", "#news", "default"])).code, 0);
  assert.equal((await owner(["notify", "snooze", "off"])).code, 0);
  assert.equal((await owner(["notify", "dnd", "off"])).code, 0);
  assert.equal((await owner(["notify", "email", "off"])).code, 0);
  const after = await show();
  assert.deepEqual([after.channels, after.snoozeUntil, after.dndSchedule, after.email.enabled], [[], null, [], false]);
});
