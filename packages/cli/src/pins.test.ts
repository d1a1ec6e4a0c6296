/**
 * `parley pins` from the real binary against a real server: pin a message, list it with the text
 * this device decrypts, refuse a missing seq with the server's code, unpin. SQLite only: the
 * server's side runs on both dialects in packages/server/src/modules/channels/pins.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cliOwnerOrg } from "./testing/spawn-cli.ts";

test("parley pins add, list, remove (sqlite)", { timeout: 300_000 }, async (t) => {
  const { owner } = await cliOwnerOrg(t, "pins");
  assert.equal((await owner(["channel", "create", "news"])).code, 0);
  const sent = await owner(["send", "news", "Release on Friday", "--json"]);
  assert.equal(sent.code, 0, sent.stderr);
  const seq = sent.json().seq as number;

  const empty = await owner(["pins", "list", "news"]);
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stdout, /nothing is pinned in #news/);

  const add = await owner(["pins", "add", "news", String(seq)]);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, new RegExp(`Pinned #${seq} in #news`));
  const list = await owner(["pins", "list", "news", "--json"]);
  assert.equal(list.code, 0, list.stderr);
  const pins = list.json().pins as Array<{ seq: number; text: string | null; pinnedByName: string }>;
  assert.deepEqual(
    pins.map((p) => [p.seq, p.text]),
    [[seq, "Release on Friday"]],
  );

  const missing = await owner(["pins", "add", "news", "9999"]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /pin_target_invalid|no message 9999/);

  const remove = await owner(["pins", "remove", "news", `#${seq}`]);
  assert.equal(remove.code, 0, remove.stderr);
  assert.match((await owner(["pins", "list", "news"])).stdout, /nothing is pinned in #news/);
});
