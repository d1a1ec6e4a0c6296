/**
 * The eDiscovery export end to end (issue 11, "Done means" 1; ADR 0008): a real server, the
 * owner on the real `parley` binary as compliance officer, two members on real E2EE clients.
 * The owner creates the archive (2-of-3 shares) over two private channels the officer is not in;
 * the members' devices seal their history keys to it; they chat (text, an attachment, an edit, a
 * reaction) and one deletes a message while a legal hold covers #deals; bob, held as a
 * custodian, leaves #desk; retention runs on back-dated events. The export with shares 1 and 3
 * then holds every message of #deals (the deleted one marked), the attachment byte for byte,
 * and bob's message of #desk that only the hold kept; `verify-bundle` passes and fails once a
 * file is changed; shares of two splits, or of another archive, are refused with a clear error;
 * an epoch whose key was never sealed shows up as unavailable items, not as a gap.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { generateArchiveSecret, splitSecret } from "@parley/crypto";
import { ParleyClient, type ClientOptions } from "@parley/sdk/node";
import { DIALECTS, startTestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, TEST_PASSWORD } from "@parley/server/testing/factories";
import { backdateEvents, runRetentionNow } from "@parley/server/testing/retention";
import { createTestHsm } from "@parley/server/testing/softhsm";
import { verifyEdiscoveryBundle } from "./ediscovery/verify.ts";
import { parley, tempDir } from "./testing/spawn-cli.ts";

const FAST: ClientOptions = { backoff: { initialMs: 50, maxMs: 500 }, gapFillDelayMs: 20, e2ee: { joinWaitMs: 1500, keyPackages: { target: 5 } } };

async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface JsonItem {
  channelName: string;
  seq: number;
  kind: string;
  text: string | null;
  emoji: string | null;
  target: number | null;
  sender: { username: string };
  attachments: Array<{ name: string; path?: string; sha256?: string; unavailable?: string }>;
  unavailable: string | null;
  deletedLater: boolean;
  legalHold: boolean;
  signature: { status: string; reason?: string };
}

const itemsOf = (dir: string): JsonItem[] =>
  fs
    .readFileSync(path.join(dir, "messages.jsonl"), "utf8")
    .trimEnd()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JsonItem);

for (const dialect of DIALECTS) {
  test(`compliance export: archive, hold, deletion, retention, export with 2 of 3 shares, verify (${dialect})`, { timeout: 240_000 }, async (t) => {
    const server = await startTestServer({ dialect, config: { checkMlsFraming: true } });
    const dir = tempDir("export");
    const clients: ParleyClient[] = [];
    t.after(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const owner = (args: string[], env?: Record<string, string>) =>
      parley(["--profile-dir", path.join(dir, "owner"), ...args], { timeoutMs: 120_000, ...(env ? { env } : {}) });
    const ok = async (args: string[], env?: Record<string, string>) => {
      const r = await owner(args, env);
      assert.equal(r.code, 0, `parley ${args.join(" ")}: ${r.stderr}`);
      return r;
    };
    // The owner (the officer) is set up over the API and signs in with the binary; the members use the SDK.
    const officer = await bootstrapOrg(server, { orgSlug: "acme", username: "olga", displayName: "Olga" });
    await ok(["login", "--server", server.url, "--org", "acme", "--username", "olga"], { PARLEY_PASSWORD: TEST_PASSWORD });
    const member = async (username: string) => {
      const invite = await officer.api("POST", "/invites", { role: "member" });
      const c = await ParleyClient.acceptInvite({
        ...FAST,
        baseUrl: server.url,
        token: invite.body.token as string,
        username,
        displayName: username[0]!.toUpperCase() + username.slice(1),
        password: TEST_PASSWORD,
        deviceName: `${username} laptop`,
      });
      clients.push(c);
      c.connect();
      await c.waitUntilLive();
      return c;
    };
    const bob = await member("bob");
    const carol = await member("carol");
    const orgId = bob.session!.orgId;
    const deals = await bob.createChannel({ kind: "private", name: "deals", members: [carol.userId] });
    const desk = await bob.createChannel({ kind: "private", name: "desk", members: [carol.userId] });

    // The archive over both channels (the officer is in neither); 2 of 3 shares rebuild its secret.
    const shares = path.join(dir, "shares");
    // The same secret is also kept by a SoftHSM2 token (wrapped by an AES key inside it).
    const hsm = createTestHsm({ label: `officer-${dialect}` });
    t.after(() => hsm.cleanup());
    const hsmWrapped = path.join(dir, "archive-secret.hsm");
    await ok(
      [
        "compliance",
        "archive",
        "init",
        "--name",
        "Acme archive",
        "--shares-out",
        shares,
        "--threshold",
        "2",
        "--count",
        "3",
        "--channels",
        `${deals.id},${desk.id}`,
        "--hsm-out",
        hsmWrapped,
      ],
      hsm.env,
    );
    const share = (n: number) => path.join(shares, `share-${n}-of-3.txt`);
    // Both members' devices seal the keys they hold to the archive key on their own.
    const sealedBy = async (channelId: string) =>
      new Set((await server.deps.db.selectFrom("archive_key_entries").select("user_id").where("channel_id", "=", channelId).execute()).map((r) => r.user_id));
    await until(async () => (await sealedBy(deals.id)).size === 2 && (await sealedBy(desk.id)).size === 2, "bob's and carol's devices seal their history keys");

    // Retention of 30 days; a hold on #deals, and on bob as a custodian (`parley compliance hold` is tested in compliance-holds.test.ts).
    assert.equal((await officer.api("PUT", "/compliance/retention", { eventsDays: 30, filesDays: null, auditDays: null })).status, 200);
    for (const [scope, targetId] of [
      ["channel", deals.id],
      ["user", bob.userId],
    ])
      assert.equal((await officer.api("POST", "/compliance/holds", { matter: "SEC 2026-14", scope, targetId })).status, 201);

    const termSheet = crypto.randomBytes(150_000);
    const m1 = await bob.sendMessage(deals.id, "Term sheet: 40M at 8x");
    const file = await bob.sendFile(deals.id, termSheet, { name: "term-sheet.pdf", mime: "application/pdf", text: "the signed term sheet" });
    await carol.sendMessage(deals.id, "Agreed.");
    await carol.send(deals.id, { kind: "reaction", target: m1.event.seq, emoji: "👍" });
    await bob.send(deals.id, { kind: "edit", target: m1.event.seq, text: "Term sheet: 42M at 8x" });
    const oops = await carol.sendMessage(deals.id, "shred the 35M numbers");
    await carol.send(deals.id, { kind: "delete", target: oops.event.seq });
    await bob.sendMessage(desk.id, "bob on the desk");
    await carol.sendMessage(desk.id, "carol on the desk");
    await bob.api.call("leaveChannel", { params: { channelId: desk.id } });
    await Promise.all(clients.map((c) => c.idle()));

    // Everything is 40 days old; retention (30 days) keeps #deals whole (held), and of #desk only
    // bob's message (he is held, and no longer a member) — in held_events, out of members' reach.
    for (const ch of [deals.id, desk.id]) {
      const seqs = (await server.deps.db.selectFrom("events").select("seq").where("channel_id", "=", ch).execute()).map((r) => Number(r.seq));
      await backdateEvents(server, ch, seqs, 40);
    }
    const run = await runRetentionNow(server, orgId);
    assert.ok(run.eventsHeld >= 1 && run.eventsDeleted >= 1, JSON.stringify(run));
    const held = await server.deps.db.selectFrom("held_events").select(["channel_id", "kind", "sender_id"]).execute();
    assert.deepEqual(
      held.filter((h) => h.kind === "message"),
      [{ channel_id: desk.id, kind: "message", sender_id: bob.userId }],
    );

    // Shares of two splits, and a whole set of another archive's shares, are refused before any read.
    const other = path.join(dir, "other");
    fs.mkdirSync(other);
    splitSecret(generateArchiveSecret(), 2, 2).forEach((s, i) => fs.writeFileSync(path.join(other, `s${i}.txt`), s));
    const x = path.join(dir, "x");
    // Run together: the mixed shares are refused before the profile is even opened.
    const [mixed, foreign] = await Promise.all([
      owner(["compliance", "export", "--channel", "#deals", "--shares", `${share(1)},${path.join(other, "s0.txt")}`, "--out", x]),
      owner(["compliance", "export", "--channel", "#deals", "--shares", `${path.join(other, "s0.txt")},${path.join(other, "s1.txt")}`, "--out", x]),
    ]);
    assert.equal(mixed.code, 1, mixed.stdout);
    assert.match(mixed.stderr, /shares do not rebuild the archive secret: shares of two different splits/);
    assert.equal(foreign.code, 1, foreign.stdout);
    assert.match(foreign.stderr, /these shares rebuild another archive's secret .*not this org's/);
    assert.ok(!fs.existsSync(x), "nothing written on refusal");
    assert.equal(await countExports(), 0);

    // The channel export, with shares 1 and 3.
    const out = path.join(dir, "deals-bundle");
    const exported = await owner([
      "compliance",
      "export",
      "--channel",
      "#deals",
      "--shares",
      `${share(1)},${share(3)}`,
      "--out",
      out,
      "--zip",
      path.join(dir, "deals.zip"),
      "--json",
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    const r = exported.json();
    assert.match(exported.stderr, /#deals: opened \d+ of \d+ sealed key batches/);
    assert.match(exported.stderr, /attachments: 1\/1/);
    assert.match(exported.stderr, /Made a new officer signing key: .*deals-bundle\.officer-key\.pem/);
    assert.ok(fs.existsSync(`${out}.officer-key.pem`) && fs.existsSync(path.join(dir, "deals.zip")));
    const items = itemsOf(out);
    const by = (kind: string, text?: string) => items.find((i) => i.kind === kind && (text === undefined || i.text === text));
    assert.deepEqual(
      items.map((i) => [i.kind, i.sender.username, i.text ?? i.emoji]),
      [
        ["message", "bob", "Term sheet: 40M at 8x"],
        ["message", "bob", "the signed term sheet"],
        ["message", "carol", "Agreed."],
        ["reaction", "carol", "👍"],
        ["edit", "bob", "Term sheet: 42M at 8x"],
        ["message", "carol", "shred the 35M numbers"],
        ["delete", "carol", null],
      ],
    );
    assert.equal(by("message", "shred the 35M numbers")!.deletedLater, true, "the message deleted under hold is there, marked");
    assert.equal(by("delete")!.target, oops.event.seq);
    assert.ok(items.every((i) => i.signature.status === "verified" && i.unavailable === null && !i.legalHold));
    const [att] = by("message", "the signed term sheet")!.attachments;
    assert.equal(att!.name, "term-sheet.pdf");
    assert.deepEqual(fs.readFileSync(path.join(out, att!.path!)), termSheet, "the attachment byte for byte");
    assert.equal(att!.sha256, crypto.createHash("sha256").update(termSheet).digest("hex"));
    assert.equal(file.file.name, "term-sheet.pdf");
    assert.deepEqual([r.counts.items, r.counts.attachments, r.counts.deletedLater, r.counts.unavailable, r.counts.signatureFailures], [7, 1, 1, 0, 0]);

    // Recorded on the server (the manifest's hash, the signer) and audited with every read.
    const recorded = await server.deps.db.selectFrom("archive_exports").selectAll().execute();
    assert.equal(recorded.length, 1);
    assert.equal(
      recorded[0]!.manifest_sha256,
      crypto
        .createHash("sha256")
        .update(fs.readFileSync(path.join(out, "manifest.json")))
        .digest("hex"),
    );
    assert.equal(recorded[0]!.signer_fingerprint, r.fingerprint);
    const actions = new Set((await server.deps.db.selectFrom("audit_log").select("action").execute()).map((a) => a.action));
    for (const a of ["archive.channels.read", "archive.keys.read", "archive.events.read", "archive.file.read", "archive.exported"])
      assert.ok(actions.has(a), a);

    // The same export with the secret from the HSM instead of the shares: the same items, the attachment byte for byte.
    const hsmOut = path.join(dir, "deals-hsm-bundle");
    const viaHsm = await owner(["compliance", "export", "--channel", "#deals", "--hsm-wrapped", hsmWrapped, "--out", hsmOut], hsm.env);
    assert.equal(viaHsm.code, 0, viaHsm.stderr);
    assert.deepEqual(itemsOf(hsmOut), items, "every message, the deleted one marked, as with the shares");
    assert.deepEqual(fs.readFileSync(path.join(hsmOut, att!.path!)), termSheet);
    assert.equal((await verifyEdiscoveryBundle(hsmOut)).ok, true);

    // Bob's messages across the archive, signed with the officer's own key (his #desk message only
    // the hold kept); meanwhile the first bundle verifies against the fingerprint the officer publishes.
    const keyFile = path.join(dir, "officer.pem");
    fs.writeFileSync(keyFile, crypto.generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }));
    const bobOut = path.join(dir, "bob-bundle");
    const [verified, bobExport] = await Promise.all([
      owner(["compliance", "verify-bundle", out, "--fingerprint", r.fingerprint]),
      // This one opens the archive through the HSM instead of the shares.
      owner(["compliance", "export", "--user", "bob", "--hsm-wrapped", hsmWrapped, "--out", bobOut, "--officer-key", keyFile, "--json"], hsm.env),
    ]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /OK: the manifest is signed by/);
    assert.equal(bobExport.code, 0, bobExport.stderr);
    assert.ok(!fs.existsSync(`${bobOut}.officer-key.pem`));
    const bobItems = itemsOf(bobOut);
    assert.deepEqual(
      bobItems.map((i) => [i.channelName, i.kind, i.sender.username, i.text, i.legalHold]),
      [
        ["deals", "message", "bob", "Term sheet: 40M at 8x", false],
        ["deals", "message", "bob", "the signed term sheet", false],
        ["deals", "edit", "bob", "Term sheet: 42M at 8x", false],
        ["desk", "message", "bob", "bob on the desk", true],
      ],
    );
    assert.equal((await verifyEdiscoveryBundle(bobOut)).ok, true);

    // A changed attachment byte fails verification; and an epoch nobody sealed (its key entries
    // gone) leaves its items in the bundle, marked unavailable, and the export says how many.
    const attPath = path.join(out, att!.path!);
    const changed = fs.readFileSync(attPath);
    changed[10]! ^= 1;
    fs.writeFileSync(attPath, changed);
    await server.deps.db.deleteFrom("archive_key_entries").where("channel_id", "=", desk.id).execute();
    const gapOut = path.join(dir, "desk-bundle");
    const [broken, gap] = await Promise.all([
      owner(["compliance", "verify-bundle", out]),
      owner(["compliance", "export", "--channel", desk.id, "--shares", `${share(1)},${share(2)}`, "--out", gapOut]),
    ]);
    assert.equal(broken.code, 4, broken.stdout);
    assert.match(broken.stdout, /file_altered attachments\/[0-9a-f]{64}-term-sheet\.pdf/);
    assert.equal(gap.code, 0, gap.stderr);
    assert.match(gap.stderr, /warning: 1 item\(s\) whose epoch's history key is not in the archive \(#desk#\d+\)/);
    const [gapItem] = itemsOf(gapOut);
    assert.match(gapItem!.unavailable!, /history key of epoch \d+ \(generation 0\) is not in the archive/);
    assert.deepEqual([gapItem!.text, gapItem!.sender.username, gapItem!.legalHold, gapItem!.signature.status], [null, "bob", true, "verified"]);
    assert.equal(await countExports(), 4);

    async function countExports(): Promise<number> {
      return (await server.deps.db.selectFrom("archive_exports").select("id").execute()).length;
    }
  });
}
