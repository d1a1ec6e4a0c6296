/**
 * Exit codes and error output of the real binary: usage errors exit 2,
 * failures exit 1 with one line saying what to do next, --json puts a
 * parseable `{ error }` on stdout.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { childEnv } from "@parley/server/testing/child-env";
import { startTestServer, TEST_SETUP_TOKEN, type TestServer } from "@parley/server/testing/harness";
import { BIN, freePort, parley, tempDir } from "./testing/spawn-cli.ts";

let server: TestServer;
let dir: string;
const PW = "boss-secret-pw-123";

before(async () => {
  server = await startTestServer();
  dir = tempDir("codes");
  const setup = await parley(
    [
      "--profile-dir",
      path.join(dir, "owner"),
      "setup",
      "--server",
      server.url,
      "--token",
      TEST_SETUP_TOKEN,
      "--org",
      "acme",
      "--org-name",
      "Acme",
      "--username",
      "owner",
      "--display-name",
      "Owner",
    ],
    { env: { PARLEY_PASSWORD: PW } },
  );
  assert.equal(setup.code, 0, setup.stderr);
});
after(async () => {
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});
const owner = (args: string[]) => parley(["--profile-dir", path.join(dir, "owner"), ...args]);

test("--help documents commands and exit codes (exit 0); no command is a usage error (exit 2)", async () => {
  const help = await parley(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Exit codes:\n\s+0\s+success\n\s+1\s+error.*\n\s+2\s+usage error/);
  assert.match(help.stdout, /parley admin bootstrap/);
  assert.match(help.stdout, /parley read CHANNEL/);
  const none = await parley([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Usage: parley COMMAND/);
  const sub = await parley(["channel", "--help"]);
  assert.equal(sub.code, 0);
  assert.match(sub.stdout, /parley channel create NAME/);
});

test("usage errors exit 2 with one line naming the problem", async () => {
  for (const [args, pattern] of [
    [["nope"], /unknown command 'nope'/],
    [["channel"], /needs a subcommand/],
    [["channel", "create"], /missing argument \(usage: parley channel create NAME/],
    [["send", "general"], /missing argument/],
    [["send", "general", "hi", "extra"], /unexpected argument 'extra'/],
    [["send", "general", "hi", "--bogus"], /Unknown option '--bogus'/],
    [["read", "general", "--limit", "lots"], /--limit must be a whole number/],
    [["login", "--server", "http://127.0.0.1:1"], /--org is required/],
    [["admin", "invite", "--expires", "soon"], /--expires must look like/],
  ] as Array<[string[], RegExp]>) {
    const r = await parley(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
    assert.equal(r.stdout, "");
  }
});

test("--json errors are a parseable { error } document on stdout", async () => {
  const r = await parley(["nope", "--json"]);
  assert.equal(r.code, 2);
  assert.deepEqual(r.json(), { error: { code: "usage", message: "unknown command 'nope'", hint: "run `parley --help` for usage", exitCode: 2 } });
  const notIn = await parley(["--profile-dir", path.join(dir, "nobody"), "whoami", "--json"]);
  assert.equal(notIn.code, 1);
  assert.equal(notIn.json().error.code, "not_signed_in");
});

test("failures exit 1 with what to do next", async () => {
  const wrong = await parley(["--profile-dir", path.join(dir, "w"), "login", "--server", server.url, "--org", "acme", "--username", "owner", "--json"], {
    env: { PARLEY_PASSWORD: "not-the-password" },
  });
  assert.equal(wrong.code, 1);
  assert.equal(wrong.json().error.code, "invalid_credentials");
  assert.match(wrong.stderr, /check the org slug, username and password/);

  const noPw = await parley(["--profile-dir", path.join(dir, "w"), "login", "--server", server.url, "--org", "acme", "--username", "owner"]);
  assert.equal(noPw.code, 1);
  assert.match(noPw.stderr, /no password given — set PARLEY_PASSWORD or pipe/);

  const missing = await owner(["send", "no-such-channel", "hi"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not in a channel named "no-such-channel" — see `parley channel list`/);

  const noUser = await owner(["dm", "ghost"]);
  assert.equal(noUser.code, 1);
  assert.match(noUser.stderr, /no user "ghost"/);

  const dead = await parley(
    ["--profile-dir", path.join(dir, "d"), "login", "--server", `http://127.0.0.1:${await freePort()}`, "--org", "acme", "--username", "owner"],
    { env: { PARLEY_PASSWORD: PW } },
  );
  assert.equal(dead.code, 1);
  assert.match(dead.stderr, /cannot reach the server .* — check --server, or start one with `parley start`/);

  const badConfig = await parley(["start", "--port", "not-a-port", "--data-dir", path.join(dir, "bad")]);
  assert.equal(badConfig.code, 1);
  assert.match(badConfig.stderr, /PARLEY_PORT/);
});

test("channel administration by name, with --json shapes", async () => {
  const created = await owner(["channel", "create", "ops", "--private", "--topic", "Pager", "--json"]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.json().channel.kind, "private");
  assert.equal(created.json().channel.name, "ops");
  const topic = await owner(["channel", "topic", "ops", "Pager duty", "--json"]);
  assert.equal(topic.json().channel.topic, "Pager duty");
  const renamed = await owner(["channel", "rename", "ops", "oncall", "--json"]);
  assert.equal(renamed.json().channel.name, "oncall");
  const archived = await owner(["channel", "archive", "oncall", "--json"]);
  assert.equal(archived.json().channel.archived, true);
  const send = await owner(["send", "oncall", "hello"]);
  assert.equal(send.code, 1);
  assert.match(send.stderr, /unarchive it first/);
  assert.equal((await owner(["channel", "unarchive", "oncall"])).code, 0);
  assert.equal((await owner(["send", "oncall", "hello"])).code, 0);
  const users = await owner(["users", "--json"]);
  assert.deepEqual(
    users.json().users.map((u: { username: string }) => u.username),
    ["owner"],
  );
  const devices = await owner(["devices", "--json"]);
  assert.equal(devices.json().devices.length, 1);
  const sessions = await owner(["sessions", "--json"]);
  assert.equal(sessions.json().sessions.filter((s: { current: boolean }) => s.current).length, 1);
});

test("read --follow --json streams live events as JSON lines and exits 0 on Ctrl-C", async () => {
  assert.equal((await owner(["channel", "create", "live"])).code, 0);
  assert.equal((await owner(["send", "live", "before"])).code, 0);
  const phone = (args: string[]) => parley(["--profile-dir", path.join(dir, "owner-phone"), ...args], { env: { PARLEY_PASSWORD: PW } });
  assert.equal((await phone(["login", "--server", server.url, "--org", "acme", "--username", "owner"])).code, 0);
  const child = spawn(process.execPath, [BIN, "--profile-dir", path.join(dir, "owner"), "read", "live", "--follow", "--json"], {
    env: childEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const waitFor = async (pred: () => boolean) => {
    for (let i = 0; i < 300 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(pred(), `timed out; stdout so far:\n${out}`);
  };
  try {
    await waitFor(() => out.includes('"text":"before"'));
    // Live: sent after the follower printed its history (give the socket a moment to be up).
    await new Promise((r) => setTimeout(r, 500));
    // From the owner's second device: a profile is one device, used by one process at a time (the follower holds it).
    const busy = await parley(["--profile-dir", path.join(dir, "owner"), "whoami"], { timeoutMs: 30_000 });
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /in use by another parley process/);
    assert.equal((await phone(["send", "live", "during"])).code, 0);
    assert.equal((await phone(["react", "live", "1", "🎉"])).code, 0);
    await waitFor(() => out.includes('"emoji":"🎉"'));
  } finally {
    child.kill("SIGINT");
  }
  assert.equal(await exited, 0);
  // MLS handshake events (the second device joining the group) are streamed too; the chat is the rest.
  const lines = out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .filter((l) => l.kind !== "commit" && l.kind !== "proposal");
  assert.deepEqual(
    lines.map((l) => [l.kind, l.text, l.emoji]),
    [
      ["message", "before", null],
      ["message", "during", null],
      ["reaction", null, "🎉"],
    ],
  );
  assert.equal(lines[2].target, lines[0].seq);
});
