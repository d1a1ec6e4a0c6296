/**
 * The README quickstart, end to end with the real binary: bootstrap an org
 * offline, `parley start`, invite a second user, two users (separate profiles,
 * so separate MLS devices) chat end-to-end encrypted, thread, react, edit,
 * delete, send and download a file, compare safety numbers, and `read` shows
 * it all from each device's sealed history. Then graceful shutdown.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parley, startParley, tempDir } from "./testing/spawn-cli.ts";

const ALICE_PW = "a-secret-pw-123";
const BOB_PW = "bob-password-4567";

// Dozens of CLI processes and a server: minutes on a loaded 2-core box, so more than the suite's 120 s default.
test("quickstart: bootstrap, start, invite, two users chat (E2EE), thread, react, edit, delete, file, safety number, read", { timeout: 300_000 }, async (t) => {
  const dir = tempDir("quickstart");
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const data = path.join(dir, "data");
  const alice = (args: string[]) => parley(["--profile-dir", path.join(dir, "alice"), ...args], { env: { PARLEY_PASSWORD: ALICE_PW } });
  const bob = (args: string[]) => parley(["--profile-dir", path.join(dir, "bob"), ...args], { env: { PARLEY_PASSWORD: BOB_PW } });

  const boot = await parley(
    ["admin", "bootstrap", "--data-dir", data, "--org", "acme", "--org-name", "Acme Inc", "--username", "alice", "--display-name", "Alice", "--json"],
    { env: { PARLEY_PASSWORD: ALICE_PW } },
  );
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
    const login = await parley(["--profile-dir", path.join(dir, "alice"), "login", "--server", server.url, "--org", "acme", "--username", "alice", "--json"], {
      input: `${ALICE_PW}\n`,
    });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.json().user.username, "alice");
    // Alice's first device sets up her key locker: the recovery key is printed once (a warning on stderr with --json).
    const recoveryKey = login.json().recoveryKey as string;
    assert.match(recoveryKey, /^([0-9A-Z]{4}-){13}[0-9A-Z]{4}$/);
    assert.match(login.stderr, /shown only now/);
    const store = path.join(dir, "alice", "parley-store.json");
    assert.equal(fs.statSync(store).mode & 0o777, 0o600, "session file is private");

    const accept = await bob(["invite", "accept", token, "--server", server.url, "--username", "bob", "--display-name", "Bob", "--json"]);
    assert.equal(accept.code, 0, accept.stderr);
    assert.equal(accept.json().org.slug, "acme");

    assert.equal((await alice(["channel", "create", "general", "--topic", "Everything"])).code, 0);
    const browse = await bob(["channel", "browse", "--json"]);
    assert.deepEqual(
      browse.json().channels.map((c: { name: string }) => c.name),
      ["general"],
    );
    assert.equal((await bob(["channel", "join", "general"])).code, 0);

    // Every message below is MLS-encrypted; the canary must never reach a file in plaintext.
    const canary = `canary-${Date.now().toString(36)}`;
    const hello = await alice(["send", "general", `Hello Bob ${canary}`, "--json"]);
    assert.equal(hello.code, 0, hello.stderr);
    assert.doesNotMatch(hello.stderr, /NOT end-to-end encrypted/);
    const first = hello.json().seq as number;
    assert.equal((await bob(["send", "general", "Hi Alice"])).code, 0);
    const reply = await bob(["send", "general", "a thread reply", "--thread", String(first), "--json"]);
    assert.equal(reply.code, 0, reply.stderr);
    assert.equal(reply.json().event.threadRoot, first);
    assert.equal((await bob(["react", "general", String(first), "👍"])).code, 0);
    // A reaction taken back disappears (it is deleted, not shown).
    assert.equal((await bob(["react", "general", String(first), "🎉"])).code, 0);
    const unreact = await bob(["react", "general", String(first), "🎉", "--remove"]);
    assert.equal(unreact.code, 0, unreact.stderr);
    assert.equal((await alice(["edit", "general", String(first), `Hello Bob, edited ${canary}`])).code, 0);
    const oops = await alice(["send", "general", "oops", "--json"]);
    assert.equal((await alice(["delete", "general", String(oops.json().seq)])).code, 0);

    const read = await bob(["read", "general", "--json"]);
    assert.equal(read.code, 0, read.stderr);
    const bySeq = new Map(read.json().messages.map((m: { seq: number }) => [m.seq, m]));
    assert.deepEqual(bySeq.get(first), {
      seq: first,
      threadRoot: null,
      sender: "alice",
      senderId: login.json().user.id,
      createdAt: (bySeq.get(first) as { createdAt: number }).createdAt,
      text: `Hello Bob, edited ${canary}`,
      edited: true,
      deleted: false,
      reactions: { "👍": ["bob"] },
      files: [],
    });
    assert.equal((bySeq.get(reply.json().seq) as { threadRoot: number }).threadRoot, first);
    assert.equal((bySeq.get(oops.json().seq) as { deleted: boolean }).deleted, true);

    const human = await bob(["read", "general"]);
    assert.match(
      human.stdout,
      new RegExp(`^#${first} \\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\] alice: Hello Bob, edited ${canary} \\(edited\\) {2}\\[👍 bob\\]$`, "m"),
    );
    assert.match(human.stdout, new RegExp(`^#${reply.json().seq} \\[.*\\] bob \\(thread #${first}\\): a thread reply$`, "m"));
    assert.match(human.stdout, /alice: \(deleted\)$/m);
    assert.doesNotMatch(human.stdout, /oops/);
    // Alice's own messages, sent from earlier processes, come from her device's sealed history.
    const own = await alice(["read", "general", "--json"]);
    const ownTexts = own.json().messages.map((m: { text: string }) => m.text);
    assert.ok(ownTexts.includes(`Hello Bob, edited ${canary}`) && ownTexts.includes("Hi Alice"), own.stdout);
    assert.doesNotMatch(own.stdout, /own_message_unavailable|cannot read/);

    const thread = await alice(["thread", "general", String(first), "--json"]);
    assert.deepEqual(
      thread.json().messages.map((m: { seq: number }) => m.seq),
      [first, reply.json().seq],
    );

    // A file: encrypted on alice's device, uploaded as ciphertext, downloaded and decrypted by bob byte for byte.
    const original = path.join(dir, "report.bin");
    fs.writeFileSync(original, Buffer.concat([Buffer.from(canary), crypto.randomBytes(200_000)]));
    const sentFile = await alice(["send", "general", "--file", original, "the report", "--json"]);
    assert.equal(sentFile.code, 0, sentFile.stderr);
    assert.match(sentFile.stderr, /uploading report\.bin: 100%/);
    assert.equal(sentFile.json().file.name, "report.bin");
    const fileSeq = String(sentFile.json().seq);
    assert.match((await bob(["read", "general"])).stdout, /alice: the report \[file: report\.bin, 195\.3 KiB\]/);
    const saved = path.join(dir, "bob-report.bin");
    const got = await bob(["download", "general", fileSeq, "--out", saved, "--json"]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.json().digestVerified, true);
    assert.ok(fs.readFileSync(saved).equals(fs.readFileSync(original)), "downloaded bytes are identical");
    assert.equal((await bob(["download", "general", String(first)])).code, 1, "a message without a file");
    // The server's copy altered on disk: the download fails clearly and keeps nothing.
    const blobs = fs.readdirSync(path.join(data, "blobs"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    for (const b of blobs) {
      const f = path.join(b.parentPath, b.name);
      const bytes = fs.readFileSync(f);
      bytes[bytes.length - 40]! ^= 0xff;
      fs.writeFileSync(f, bytes);
    }
    const bad = await bob(["download", "general", fileSeq, "--out", path.join(dir, "tampered.bin")]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /parley: the downloaded file .*nothing was saved/);
    assert.equal(fs.existsSync(path.join(dir, "tampered.bin")), false);

    // Out-of-band verification: both sides print the same 60 digits.
    const snA = await alice(["safety-number", "bob", "--json"]);
    const snB = await bob(["safety-number", "alice", "--json"]);
    assert.equal(snA.code, 0, snA.stderr);
    assert.match(snA.json().safetyNumber, /^(\d{5} ){11}\d{5}$/);
    assert.equal(snA.json().safetyNumber, snB.json().safetyNumber);
    const devices = await alice(["devices", "--json"]);
    const mine = devices.json().devices.find((d: { current: boolean }) => d.current);
    assert.match(mine.fingerprint, /^(\d{5} ){5}\d{5}$/);
    assert.equal(snA.json().fingerprints.mine, mine.fingerprint);
    assert.match((await alice(["devices"])).stdout, /^\* +\S+ +parley cli on .* (\d{5} ){5}\d{5}$/m);

    // A DM by @username, read from the other side.
    assert.equal((await bob(["send", "@alice", "psst"])).code, 0);
    const dm = await alice(["read", "@bob", "--json"]);
    assert.deepEqual(
      dm.json().messages.map((m: { text: string }) => m.text),
      ["psst"],
    );

    // Profiles keep history only sealed: no plaintext anywhere on disk (server data included).
    for (const where of [path.join(dir, "alice"), path.join(dir, "bob"), data]) {
      for (const e of fs.readdirSync(where, { recursive: true, withFileTypes: true })) {
        if (e.isFile()) assert.ok(!fs.readFileSync(path.join(e.parentPath, e.name)).includes(canary), `${e.name} holds the canary`);
      }
    }

    // A new device of alice's (another profile) reads nothing earlier until she restores with her recovery key.
    const phone = (args: string[], env: Record<string, string> = {}) =>
      parley(["--profile-dir", path.join(dir, "alice-phone"), ...args], { env: { PARLEY_PASSWORD: ALICE_PW, ...env } });
    const phoneLogin = await phone(["login", "--server", server.url, "--org", "acme", "--username", "alice"]);
    assert.equal(phoneLogin.code, 0, phoneLogin.stderr);
    assert.match(phoneLogin.stdout, /parley recovery-key restore/);
    assert.doesNotMatch(phoneLogin.stdout, /Recovery key:/, "the key is not made again");
    assert.match((await phone(["recovery-key", "status"])).stdout, /does not read your key locker yet/);
    const wrong = await phone(["recovery-key", "restore"], { PARLEY_RECOVERY_KEY: `${recoveryKey.slice(0, -1)}${recoveryKey.endsWith("0") ? "1" : "0"}` });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /checksum.*nothing on this device was changed/);
    const restored = await phone(["recovery-key", "restore", "--json"], { PARLEY_RECOVERY_KEY: recoveryKey });
    assert.equal(restored.code, 0, restored.stderr);
    assert.ok(restored.json().restored > 0);
    const phoneRead = await phone(["read", "general", "--json"]);
    assert.equal(phoneRead.code, 0, phoneRead.stderr);
    const phoneTexts = phoneRead.json().messages.map((m: { text: string; decodeError?: string }) => m.decodeError ?? m.text);
    assert.ok(
      phoneTexts.some((t: string) => t === `Hello Bob, edited ${canary}`),
      `the phone reads what alice's laptop said (as edited): ${JSON.stringify(phoneTexts)}`,
    );
    assert.ok(phoneTexts.includes("Hi Alice") && phoneTexts.includes("a thread reply"), "and what bob said");
    assert.equal(phoneRead.json().messages.filter((m: { decodeError?: string }) => m.decodeError).length, 0, "nothing unreadable");
    for (const e of fs.readdirSync(path.join(dir, "alice-phone"), { recursive: true, withFileTypes: true })) {
      if (e.isFile()) assert.ok(!fs.readFileSync(path.join(e.parentPath, e.name)).includes(canary), `the phone's ${e.name} holds the canary`);
    }

    const list = await alice(["channel", "list", "--json"]);
    assert.deepEqual(
      list
        .json()
        .channels.map((c: { kind: string }) => c.kind)
        .sort(),
      ["dm", "public"],
    );

    // Private channel: invite, kick, leave.
    assert.equal((await alice(["channel", "create", "secret", "--private"])).code, 0);
    assert.equal((await bob(["channel", "join", "secret"])).code, 1, "private channels are not joinable");
    const invited = await alice(["channel", "invite", "secret", "bob", "--json"]);
    assert.deepEqual(invited.json().added, ["bob"]);
    assert.equal((await bob(["send", "secret", "in"])).code, 0);
    assert.equal((await alice(["channel", "kick", "secret", "bob"])).code, 0);
    assert.equal((await bob(["send", "secret", "out"])).code, 1);
    assert.equal((await bob(["channel", "leave", "general"])).code, 0);
    assert.deepEqual(
      (await bob(["channel", "list", "--json"])).json().channels.map((c: { kind: string }) => c.kind),
      ["dm"],
    );
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
    const setup = await parley(
      [
        "--profile-dir",
        path.join(dir, "owner"),
        "setup",
        "--server",
        server.url,
        "--token",
        token!,
        "--org",
        "initech",
        "--org-name",
        "Initech",
        "--username",
        "peter",
        "--display-name",
        "Peter",
        "--json",
      ],
      { env: { PARLEY_PASSWORD: "p-secret-pw-1" } },
    );
    assert.equal(setup.code, 0, setup.stderr);
    assert.equal(setup.json().org.slug, "initech");
    assert.equal(setup.json().user.role, "owner");
    const again = await parley(
      [
        "--profile-dir",
        path.join(dir, "x"),
        "setup",
        "--server",
        server.url,
        "--token",
        token!,
        "--org",
        "other",
        "--org-name",
        "Other",
        "--username",
        "mallory",
        "--display-name",
        "M",
        "--json",
      ],
      { env: { PARLEY_PASSWORD: "m-secret-pw-99" } },
    );
    assert.equal(again.code, 1);
    assert.equal(again.json().error.code, "setup_complete");
    assert.match(again.stderr, /sign in with `parley login`/);
  } finally {
    await server.stop();
  }
});
