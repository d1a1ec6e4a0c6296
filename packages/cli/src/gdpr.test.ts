/**
 * `parley me export` and `parley compliance erase` with the real binary (docs/gdpr.md): the ZIP
 * holds the server's export and, decrypted on this device, the text of a message the user sent
 * (the server never had it in the clear); an officer erases another user by name.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { strFromU8, unzipSync } from "fflate";
import { startTestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, makeUser, TEST_PASSWORD } from "@parley/server/testing/factories";
import { parley, tempDir } from "./testing/spawn-cli.ts";

test("parley me export adds the decrypted history to the server's export; parley compliance erase erases by name", { timeout: 120_000 }, async (t) => {
  const server = await startTestServer({ config: { checkMlsFraming: true } });
  t.after(() => server.stop());
  const owner = await bootstrapOrg(server, { orgSlug: "cligdpr", username: "alice" });
  const bob = await makeUser(server, owner, { username: "bob" });
  const dir = tempDir("gdpr");
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ok = async (args: string[]) => {
    const r = await parley(["--profile-dir", path.join(dir, "alice"), ...args], { env: { PARLEY_PASSWORD: TEST_PASSWORD } });
    assert.equal(r.code, 0, `parley ${args.join(" ")}: ${r.stderr}`);
    return r;
  };

  await ok(["login", "--server", server.url, "--org", "cligdpr", "--username", "alice"]);
  await ok(["channel", "create", "general"]);
  await ok(["send", "general", "the walrus and the carpenter"]);
  const out = path.join(dir, "alice-export.zip");
  const exported = await ok(["me", "export", "--out", out, "--json"]);
  assert.deepEqual(exported.json(), { file: out, channels: 1, events: 1 });
  assert.match(exported.stderr, /messages: 1\/1 general — 1 events/, "progress on stderr");
  assert.equal(fs.statSync(out).mode & 0o777, 0o600);

  const files = unzipSync(fs.readFileSync(out));
  for (const name of ["README.txt", "manifest.json", "profile.json", "audit.jsonl", "messages/index.json", "messages/general.jsonl"])
    assert.ok(files[name], name);
  const [line] = strFromU8(files["messages/general.jsonl"]!).trim().split("\n");
  assert.deepEqual((({ kind, text, sender, own }) => ({ kind, text, sender, own }))(JSON.parse(line!)), {
    kind: "message",
    text: "the walrus and the carpenter",
    sender: "alice",
    own: true,
  });
  assert.equal(JSON.parse(strFromU8(files["profile.json"]!)).username, "alice");
  const serverSide = Object.entries(files)
    .filter(([name]) => !name.startsWith("messages/"))
    .map(([, b]) => strFromU8(b))
    .join("\n");
  assert.ok(!serverSide.includes("walrus"), "the server's part holds no message content");

  const erased = await ok(["compliance", "erase", "bob", "--confirm", "bob", "--json"]);
  assert.equal(erased.json().userId, bob.user.id);
  assert.match(erased.json().username, /^erased-/);
});
