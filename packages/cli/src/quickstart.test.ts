/**
 * The README quickstart, end to end with the real binary: bootstrap an org
 * offline, `parley start`, invite a second user, two users chat, thread,
 * react, edit, delete, and `read` shows it all. Then graceful shutdown.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parley, startParley, tempDir } from "./testing/spawn-cli.ts";

const ALICE_PW = "alice-password-123";
const BOB_PW = "bob-password-4567";

test("quickstart: bootstrap, start, invite, two users chat, thread, react, edit, delete, read", async (t) => {
  const dir = tempDir("quickstart");
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const data = path.join(dir, "data");
  const alice = (args: string[]) => parley(["--profile-dir", path.join(dir, "alice"), ...args], { env: { PARLEY_PASSWORD: ALICE_PW } });
  const bob = (args: string[]) => parley(["--profile-dir", path.join(dir, "bob"), ...args], { env: { PARLEY_PASSWORD: BOB_PW } });

  const boot = await parley(["admin", "bootstrap", "--data-dir", data, "--org", "acme", "--org-name", "Acme Inc", "--username", "alice", "--display-name", "Alice", "--json"], { env: { PARLEY_PASSWORD: ALICE_PW } });
  assert.equal(boot.code, 0, boot.stderr);
  assert.equal(boot.json().org.slug, "acme");
  assert.equal(boot.json().user.role, "owner");
  assert.match(boot.stderr, /migrating database: applied/);

  const server = await startParley(["--data-dir", data]);
  try {
    assert.equal(server.ready.setupToken, null, "an org exists, so no setup token");
    assert.equal(server.ready.apiDocs, `${server.url}/api/docs`);
    const port = new URL(server.url).port;

    const invite = await parley(["admin", "invite", "--data-dir", data, "--port", port, "--json"]);
    assert.equal(invite.code, 0, invite.stderr);
    const { token, link, role } = invite.json();
    assert.equal(role, "member");
    assert.equal(link, `${server.url}/invite/${token}`);

    // Password from stdin for alice (env for bob below): never argv.
    const login = await parley(["--profile-dir", path.join(dir, "alice"), "login", "--server", server.url, "--org", "acme", "--username", "alice", "--json"], { input: `${ALICE_PW}\n` });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.json().user.username, "alice");
    const store = path.join(dir, "alice", "parley-store.json");
    assert.equal(fs.statSync(store).mode & 0o777, 0o600, "session file is private");

    const accept = await bob(["invite", "accept", token, "--server", server.url, "--username", "bob", "--display-name", "Bob", "--json"]);
    assert.equal(accept.code, 0, accept.stderr);
    assert.equal(accept.json().org.slug, "acme");

    assert.equal((await alice(["channel", "create", "general", "--topic", "Everything"])).code, 0);
    const browse = await bob(["channel", "browse", "--json"]);
    assert.deepEqual(browse.json().channels.map((c: { name: string }) => c.name), ["general"]);
    assert.equal((await bob(["channel", "join", "general"])).code, 0);

    const hello = await alice(["send", "general", "Hello Bob", "--json"]);
    assert.equal(hello.code, 0, hello.stderr);
    assert.match(hello.stderr, /NOT end-to-end encrypted/);
    assert.equal(hello.json().seq, 1);
    assert.equal((await bob(["send", "general", "Hi Alice"])).code, 0);
    const reply = await bob(["send", "general", "a thread reply", "--thread", "1", "--json"]);
    assert.equal(reply.json().event.threadRoot, 1);
    assert.equal((await bob(["react", "general", "1", "👍"])).code, 0);
    // A reaction taken back disappears (it is deleted, not shown).
    assert.equal((await bob(["react", "general", "1", "🎉"])).code, 0);
    assert.equal((await bob(["react", "general", "1", "🎉", "--remove"])).code, 0);
    assert.equal((await alice(["edit", "general", "1", "Hello Bob, edited"])).code, 0);
    const oops = await alice(["send", "general", "oops", "--json"]);
    assert.equal((await alice(["delete", "general", String(oops.json().seq)])).code, 0);

    const read = await bob(["read", "general", "--json"]);
    assert.equal(read.code, 0, read.stderr);
    const bySeq = new Map(read.json().messages.map((m: { seq: number }) => [m.seq, m]));
    assert.deepEqual(bySeq.get(1), {
      seq: 1, threadRoot: null, sender: "alice", senderId: login.json().user.id, createdAt: (bySeq.get(1) as { createdAt: number }).createdAt,
      text: "Hello Bob, edited", edited: true, deleted: false, reactions: { "👍": ["bob"] },
    });
    assert.equal((bySeq.get(3) as { threadRoot: number }).threadRoot, 1);
    assert.equal((bySeq.get(oops.json().seq) as { deleted: boolean }).deleted, true);

    const human = await bob(["read", "general"]);
    assert.match(human.stdout, /^#1 \[\d{4}-\d\d-\d\d \d\d:\d\d\] alice: Hello Bob, edited \(edited\) {2}\[👍 bob\]$/m);
    assert.match(human.stdout, /^#3 \[.*\] bob \(thread #1\): a thread reply$/m);
    assert.match(human.stdout, /alice: \(deleted\)$/m);
    assert.doesNotMatch(human.stdout, /oops/);

    const thread = await alice(["thread", "general", "1", "--json"]);
    assert.deepEqual(thread.json().messages.map((m: { seq: number }) => m.seq), [1, 3]);

    // A DM by @username, read from the other side.
    assert.equal((await bob(["send", "@alice", "psst"])).code, 0);
    const dm = await alice(["read", "@bob", "--json"]);
    assert.deepEqual(dm.json().messages.map((m: { text: string }) => m.text), ["psst"]);

    const list = await alice(["channel", "list", "--json"]);
    assert.deepEqual(list.json().channels.map((c: { kind: string }) => c.kind).sort(), ["dm", "public"]);

    // Private channel: invite, kick, leave.
    assert.equal((await alice(["channel", "create", "secret", "--private"])).code, 0);
    assert.equal((await bob(["channel", "join", "secret"])).code, 1, "private channels are not joinable");
    const invited = await alice(["channel", "invite", "secret", "bob", "--json"]);
    assert.deepEqual(invited.json().added, ["bob"]);
    assert.equal((await bob(["send", "secret", "in"])).code, 0);
    assert.equal((await alice(["channel", "kick", "secret", "bob"])).code, 0);
    assert.equal((await bob(["send", "secret", "out"])).code, 1);
    assert.equal((await bob(["channel", "leave", "general"])).code, 0);
    assert.deepEqual((await bob(["channel", "list", "--json"])).json().channels.map((c: { kind: string }) => c.kind), ["dm"]);
    const whoami = await bob(["whoami", "--json"]);
    assert.equal(whoami.json().user.username, "bob");
    assert.equal(whoami.json().server, server.url);

    assert.equal((await alice(["logout"])).code, 0);
    const after = await alice(["whoami"]);
    assert.equal(after.code, 1);
    assert.match(after.stderr, /not signed in — run `parley login/);
  } finally {
    assert.equal(await server.stop("SIGTERM"), 0, "graceful shutdown exits 0");
    assert.match(server.stderr(), /stopped/);
  }
});

test("first start on an empty data dir prints the setup token and `parley setup` creates the org", async (t) => {
  const dir = tempDir("setup");
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const server = await startParley(["--data-dir", path.join(dir, "data")]);
  try {
    const token = server.ready.setupToken;
    assert.ok(token && token.length >= 16, "setup token printed in the ready line");
    const setup = await parley(["--profile-dir", path.join(dir, "owner"), "setup", "--server", server.url, "--token", token!,
      "--org", "initech", "--org-name", "Initech", "--username", "peter", "--display-name", "Peter", "--json"], { env: { PARLEY_PASSWORD: "peter-password-1" } });
    assert.equal(setup.code, 0, setup.stderr);
    assert.equal(setup.json().org.slug, "initech");
    assert.equal(setup.json().user.role, "owner");
    const again = await parley(["--profile-dir", path.join(dir, "x"), "setup", "--server", server.url, "--token", token!,
      "--org", "other", "--org-name", "Other", "--username", "mallory", "--display-name", "M", "--json"], { env: { PARLEY_PASSWORD: "mallory-password" } });
    assert.equal(again.code, 1);
    assert.equal(again.json().error.code, "setup_complete");
    assert.match(again.stderr, /sign in with `parley login`/);
  } finally {
    await server.stop();
  }
});
