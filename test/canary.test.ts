/**
 * Plaintext never reaches the server (issue 3, "done means" 2). Real SDK
 * devices (MLS, the default codec) of three users — one with two devices —
 * exchange messages, thread replies, reactions, edits and files carrying a
 * random canary in a private channel, a public channel (joined by external
 * commit), a DM and a group DM; every other device must decrypt every one of
 * them (content events carry archive copies, ADR 0007: those are checked to exist and
 * scanned too; alice's key locker is set up and restored, and its entries, its recovery blob,
 * the recovery key and every history key her device holds are scanned for as well). Then the server's storage is scanned as raw bytes for the canary in
 * UTF-8, UTF-16, hex and base64: the SQLite file with its -wal and -shm
 * (while the server runs and after it stopped), every file of the data
 * directory (blobs included), the captured logs (level trace), and on
 * PostgreSQL pg_dump, every row as text, and the database's heap files and
 * the WAL. A control canary written where the server legitimately stores
 * text (a channel topic, a raw upload) must be found, so the scan is not blind.
 */
import test from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { DIALECTS, createTestDatabase, startTestServer, type TestDialect, type TestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { blobDirOfServer, uploadFile } from "@parley/server/testing/files";
import { readStream } from "../packages/sdk/src/e2ee/files.ts";
import { parseRecoveryKey } from "@parley/crypto";
import { historyKeysOf } from "../packages/sdk/src/e2ee/history-keys.ts";
import type { FileDescriptor } from "@parley/sdk";
import { deviceRoot, signIn, until, type CanaryDevice } from "./support/canary-clients.ts";
import {
  describeHits,
  filesUnder,
  needlesOf,
  newCanary,
  pgDataFiles,
  pgDump,
  pgRowsAsText,
  scanBuffer,
  scanDir,
  scanFile,
  scanLogs,
  scanSqlite,
  type Hit,
  type Needle,
} from "./support/canary-scan.ts";

/** Bytes of a file that carry the canary in several encodings, the rest random. */
function fileWithCanary(size: number, canary: string): Uint8Array {
  const data = crypto.randomBytes(size);
  const marks = [Buffer.from(canary), Buffer.from(canary, "utf16le"), Buffer.from(Buffer.from(canary).toString("hex"))];
  // At the start, across the 64 KiB chunk boundary (when large enough), and at the end.
  const spots = [0, ...(size > 70_000 ? [65_536 - 20] : []), size - marks[0]!.length];
  spots.forEach((at, i) => marks[i % marks.length]!.copy(data, at));
  return new Uint8Array(data);
}

interface Sent {
  channel: string;
  seq: number;
  from: CanaryDevice;
  kind: string;
  text?: string;
  emoji?: string;
  file?: Uint8Array;
}

async function runCanary(dialect: TestDialect, t: import("node:test").TestContext): Promise<void> {
  const started = Date.now();
  const canary = newCanary();
  const control = newCanary("ctrl");
  const needles = needlesOf(canary);
  const b64 = Buffer.from(canary).toString("base64");
  const hex = Buffer.from(canary).toString("hex");

  const database = await createTestDatabase(dialect);
  t.after(() => database.drop());
  const server: TestServer = await startTestServer({ database, config: { logLevel: "trace", checkMlsFraming: true } });
  let running = true;
  t.after(async () => {
    if (running) await server.close();
  });
  const devices = deviceRoot();
  t.after(() => devices.cleanup());

  // Users through the real HTTP factories; devices through the SDK.
  const alice = await bootstrapOrg(server, { username: "alice" });
  const bob = await makeUser(server, alice, { username: "bob" });
  const carol = await makeUser(server, alice, { username: "carol" });
  const a1 = await signIn(server.url, devices.dir, "alice-laptop", alice, true);
  const a2 = await signIn(server.url, devices.dir, "alice-phone", alice, false);
  const b1 = await signIn(server.url, devices.dir, "bob-laptop", bob, true);
  const c1 = await signIn(server.url, devices.dir, "carol-laptop", carol, true);
  const all = [a1, a2, b1, c1];
  t.after(() => Promise.all(all.map((d) => d.client.close())));
  for (const d of all) d.client.connect();
  await Promise.all(all.map((d) => d.client.waitUntilLive()));

  // Every channel kind: private, public (carol joins by external commit), DM, group DM.
  const priv = await a1.client.createChannel({ kind: "private", name: "priv", members: [bob.user.id] });
  const pub = await a1.client.createChannel({ kind: "public", name: "pub", members: [bob.user.id] });
  await c1.client.joinChannel(pub.id);
  const dm = await a1.client.openDm([bob.user.id]);
  const gdm = await b1.client.openDm([alice.user.id, carol.user.id]);
  const members = new Map<string, CanaryDevice[]>([
    [priv.id, [a1, a2, b1]],
    [pub.id, [a1, a2, b1, c1]],
    [dm.id, [a1, a2, b1]],
    [gdm.id, [a1, a2, b1, c1]],
  ]);

  const sent: Sent[] = [];
  const rec = (channel: string, from: CanaryDevice, r: { event: { seq: number } }, extra: Omit<Sent, "channel" | "seq" | "from">) =>
    sent.push({ channel, seq: r.event.seq, from, ...extra });
  for (const [channel, ms] of members) {
    const [author, other] = [ms[0]!, ms[ms.length - 1]!];
    const text = `hello ${canary} in ${channel}`;
    const root = await author.client.sendMessage(channel, text);
    rec(channel, author, root, { kind: "message", text });
    const encoded = `encoded b64:${b64} hex:${hex} ü ${canary}`;
    rec(channel, other, await other.client.sendMessage(channel, encoded), { kind: "message", text: encoded });
    const reply = `thread reply ${canary}`;
    rec(channel, other, await other.client.reply(channel, root.event.seq, reply), { kind: "message", text: reply });
    const emoji = `:${canary}:`;
    rec(channel, other, await other.client.react(channel, root.event.seq, emoji), { kind: "reaction", emoji });
    const edited = `edited ${canary}`;
    rec(channel, author, await author.client.edit(channel, root.event.seq, edited), { kind: "edit", text: edited });
  }
  // Two files (one > 64 KiB: several AES-GCM chunks), name and caption carrying the canary too.
  const small = fileWithCanary(5_000, canary);
  const large = fileWithCanary(200_000, canary);
  const f1 = await b1.client.sendFile(priv.id, small, { name: `notes-${canary}.txt`, mime: "text/plain", text: `file ${canary}` });
  rec(priv.id, b1, f1, { kind: "message", text: `file ${canary}`, file: small });
  const f2 = await a2.client.sendFile(gdm.id, large, { name: `big-${canary}.bin`, mime: "application/octet-stream", text: `big file ${canary}` });
  rec(gdm.id, a2, f2, { kind: "message", text: `big file ${canary}`, file: large });

  // Every other device of every member decrypts every event (own device excepted: it keeps a local copy).
  const expected = (d: CanaryDevice) => sent.filter((s) => s.from !== d && members.get(s.channel)!.includes(d));
  const got = (d: CanaryDevice, s: Sent) => d.received.find((e) => e.channelId === s.channel && e.seq === s.seq);
  const missing = () =>
    all.flatMap((d) =>
      expected(d)
        .filter((s) => !got(d, s))
        .map((s) => `${d.name} lacks ${s.kind} #${s.seq}`),
    );
  await until(
    () => missing().length === 0,
    () => missing().join("; "),
    40_000,
  );
  let decrypted = 0;
  for (const d of all) {
    assert.deepEqual(d.undecryptable, [], `${d.name} had undecryptable events`);
    for (const s of expected(d)) {
      const e = got(d, s)!;
      assert.equal(e.content.decodeError, undefined, `${d.name} #${s.seq}: ${String(e.content.decodeError)}`);
      assert.equal(e.kind, s.kind);
      if (s.text !== undefined) assert.equal(e.text, s.text, `${d.name} reads #${s.seq}`);
      if (s.emoji !== undefined) assert.equal(e.emoji, s.emoji, `${d.name} reads reaction #${s.seq}`);
      // On the wire the content is ciphertext: the canary is not in it.
      assert.deepEqual(scanBuffer(Buffer.from(e.raw.content, "base64"), needles, "wire"), []);
      if (s.file) {
        const [desc] = e.content.files as FileDescriptor[];
        assert.ok(desc!.name.includes(canary));
        assert.deepEqual(await readStream(await d.client.downloadFile(desc!)), s.file, `${d.name} decrypts the file of #${s.seq}`);
      }
      decrypted++;
    }
  }
  assert.ok(decrypted >= 50 && sent.length === 22, `only ${decrypted} decryptions of ${sent.length} events checked`);
  // Archive copies (issue 9) are part of what is scanned: every content event of these channels carries one.
  const archived = await server.deps.db
    .selectFrom("events")
    .select(["archive", "kind"])
    .where("kind", "in", ["message", "reaction", "edit", "delete"])
    .execute();
  assert.ok(archived.length >= sent.length && archived.every((e) => (e.archive?.length ?? 0) > 0), "the content events were stored with archive copies");
  for (const e of archived) assert.deepEqual(scanBuffer(Buffer.from(e.archive!), needles, "archive copy"), []);

  // Key lockers (issue 9): alice's first device sets hers up, her second restores it with the recovery
  // key. The sealed entries and the recovery blob are scanned for the canary like everything else, and
  // from here on the recovery key and every history key alice's device holds are needles too: none may
  // reach the server's storage or logs in any form.
  const recoveryKey = await a1.client.e2ee!.locker.setUp();
  await a1.client.e2ee!.locker.flush();
  await a2.client.e2ee!.locker.restore(recoveryKey);
  const lockerRows = await server.deps.db.selectFrom("locker_entries").select(["sealed"]).execute();
  const blobs = await server.deps.db.selectFrom("user_lockers").select(["recovery_blob"]).execute();
  assert.ok(lockerRows.length > 0 && blobs.length === 1, "a locker with sealed entries and a recovery blob is stored");
  for (const r of lockerRows) assert.deepEqual(scanBuffer(Buffer.from(r.sealed), needles, "locker entry"), []);
  assert.deepEqual(scanBuffer(Buffer.from(blobs[0]!.recovery_blob), needles, "recovery blob"), []);
  const aliceKeys = a1.client.e2ee!.identity.keyStore;
  const secrets = [parseRecoveryKey(recoveryKey)];
  const held = historyKeysOf(aliceKeys);
  for (const channelId of await held.channels()) for (const k of await held.ofChannel(channelId)) secrets.push(k.key);
  assert.ok(secrets.length > 5, "alice's device holds history keys");
  needles.push(...needlesOf(recoveryKey));
  for (const k of secrets)
    needles.push({ encoding: "raw key", bytes: Buffer.from(k) }, { encoding: "hex key", bytes: Buffer.from(Buffer.from(k).toString("hex")) });

  // Controls: the server legitimately stores a topic and raw upload bytes in clear.
  await a1.client.api.call("updateChannel", { params: { channelId: pub.id }, body: { topic: `topic ${control}` } });
  await uploadFile(server, alice, priv.id, new Uint8Array(Buffer.from(`raw upload ${control} end`)));
  const controlNeedle: Needle[] = needlesOf(control).filter((n) => n.encoding === "utf8");

  // Scan while the server runs (SQLite: the WAL is hot).
  const dataDir = database.dataDir;
  const blobDir = blobDirOfServer(server);
  const sqliteFile = server.deps.storage.file ?? `${dataDir}/parley.db`;
  const hits: Hit[] = [];
  const scanned: string[] = [];
  if (dialect === "sqlite") {
    hits.push(...scanSqlite(sqliteFile, needles, scanned));
    assert.ok(
      scanned.some((s) => s.startsWith(`${sqliteFile}-wal`)),
      "the hot WAL was scanned",
    );
    assert.ok(scanSqlite(sqliteFile, controlNeedle).length > 0, "control: the topic is found in the SQLite files");
  }
  assert.ok(filesUnder(blobDir).length >= 3, `blobs stored under ${blobDir}`);
  hits.push(...scanDir(blobDir, needles, scanned));
  assert.ok(scanDir(blobDir, controlNeedle).length > 0, "control: the raw upload is found in the blob directory");
  hits.push(...scanDir(dataDir, needles, scanned));

  running = false;
  await server.close();
  hits.push(...scanLogs(server.logs, needles));
  assert.ok(server.logs.length > 50, "the server logged");
  // Control: the startup lines name the (random) data directory; request lines name routes.
  assert.ok(scanLogs(server.logs, [{ encoding: "utf8", bytes: Buffer.from(dataDir) }]).length > 0, "control: the data directory is found in the logs");
  assert.ok(
    server.logs.some((l) => l.includes('"route":"postCommitBundle"')) && server.logs.some((l) => l.includes('"route":"uploadFileChunk"')),
    "the logs cover the E2EE routes",
  );

  if (dialect === "sqlite") {
    // After close: checkpointed into the main file.
    hits.push(...scanSqlite(sqliteFile, needles, scanned), ...scanDir(dataDir, needles, scanned));
    assert.ok(scanFile(sqliteFile, controlNeedle).length > 0, "control: the topic is in the checkpointed database file");
  } else {
    const url = database.url!;
    const dump = pgDump(url);
    const rows = await pgRowsAsText(url);
    hits.push(...scanBuffer(dump, needles, "pg_dump"), ...scanBuffer(rows, needles, "SELECT rows"));
    assert.ok(scanBuffer(dump, controlNeedle, "pg_dump").length > 0, "control: the topic is in pg_dump");
    assert.ok(scanBuffer(rows, controlNeedle, "rows").length > 0, "control: the topic is in the rows");
    const files = await pgDataFiles(url);
    if (files) {
      for (const f of files) hits.push(...scanFile(f, needles, scanned));
      assert.ok(
        files.some((f) => scanFile(f, controlNeedle).length > 0),
        "control: the topic is in the heap files or WAL",
      );
    } else {
      t.diagnostic("PostgreSQL data directory not readable from here: heap/WAL scan skipped");
    }
    hits.push(...scanDir(dataDir, needles, scanned));
  }
  assert.equal(hits.length, 0, `plaintext canary found:\n${describeHits(hits)}`);
  t.diagnostic(`${dialect}: ${decrypted} decryptions checked, ${scanned.length} files scanned, ${server.logs.length} log lines, ${Date.now() - started} ms`);
}

for (const dialect of DIALECTS) {
  test(`no plaintext canary reaches the server's storage or logs (${dialect})`, { timeout: 120_000 }, (t) => runCanary(dialect, t));
}
