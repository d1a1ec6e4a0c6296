/**
 * The eDiscovery bundle from synthetic decrypted items (two channels, an edit, a deletion, a
 * held message, a failed signature, an item whose content is unavailable, binary attachments with hostile names, hostile text):
 * what it holds, that it verifies, and that every kind of change to it is reported.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, verify } from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { unzipSync } from "fflate";
import { simpleParser, type AddressObject } from "mailparser";
import { writeEdiscoveryBundle, zipEdiscoveryBundle, type BundleInput, type BundleProgress } from "./bundle.ts";
import { BundleError, safeFileName, type ExportChannel, type ExportItem, type ExportPerson } from "./items.ts";
import { generateOfficerKey, loadOfficerKey, officerKeyFingerprint } from "./officer-key.ts";
import { verifyEdiscoveryBundle, type BundleProblemCode } from "./verify.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "parley-ediscovery-"));
after(() => (process.env.KEEP_BUNDLE ? undefined : fs.rmSync(root, { recursive: true, force: true })));

const alice: ExportPerson = { userId: "u-alice", username: "alice", displayName: "Alice Example" };
const bob: ExportPerson = { userId: "u-bob", username: "bob", displayName: 'Bøb "the builder" <b@x>\r\nBcc: evil@example.com' };
const general: ExportChannel = { id: "c-general", name: "general", kind: "public", members: [alice, bob] };
const dm: ExportChannel = { id: "c-dm", name: "<img src=x onerror=alert(1)>", kind: "dm", members: [alice, bob] };

const binary = new Uint8Array(70_000).map((_, i) => (i * 7919 + (i >> 8)) & 0xff);
const pdf = new Uint8Array(1000).map((_, i) => 255 - (i & 0xff));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const hostile = "Hi <script>alert('x')</script> & </div><div onclick=steal()>";

async function* chunks(b: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let o = 0; o < b.length; o += size) yield b.slice(o, o + size);
}

function base(over: Partial<ExportItem> & Pick<ExportItem, "seq" | "kind">): ExportItem {
  return {
    channelId: general.id,
    id: `e-${over.channelId ?? general.id}-${over.seq}`,
    sender: alice,
    senderDeviceId: "d-alice-1",
    sentAt: `2026-03-0${over.seq}T10:00:00+01:00`,
    threadRoot: null,
    target: null,
    text: null,
    deletedLater: false,
    legalHold: false,
    signature: { status: "verified" },
    ...over,
  };
}

function items(): ExportItem[] {
  return [
    base({ seq: 1, kind: "message", text: hostile }),
    base({
      seq: 2,
      kind: "message",
      sender: bob,
      senderDeviceId: "d-bob-1",
      text: "the files",
      attachments: [
        { fileId: "f1", name: "../../etc/passwd", contentType: "application/octet-stream", data: binary },
        { name: "Résumé 2026.pdf", contentType: "application/pdf\r\nX-Evil: 1", data: chunks(pdf, 333) },
      ],
    }),
    base({ seq: 3, kind: "edit", target: 1, text: "Hello (edited)" }),
    base({ seq: 4, kind: "message", sender: bob, text: "this goes away", deletedLater: true, legalHold: true }),
    base({ seq: 5, kind: "delete", sender: bob, target: 4, legalHold: true }),
    base({ seq: 6, kind: "reaction", target: 2, unavailable: "the history key of epoch 3 is not in the archive" }),
    base({ seq: 7, kind: "message", threadRoot: 2, text: "reply in thread", signature: { status: "failed", reason: "bad_signature" } }),
    base({ channelId: dm.id, seq: 1, kind: "message", sender: bob, text: "Ünïcödé **bold**\nsecond line", format: "markdown" }),
    base({
      channelId: dm.id,
      seq: 2,
      kind: "message",
      text: "lost file",
      attachments: [{ name: "gone.txt", contentType: "text/plain", unavailable: "blob deleted by retention" }],
    }),
  ];
}

const officer = generateOfficerKey();
const parameters = { orgId: "o-acme", channel: null, user: "alice", from: "2026-03-01T00:00:00Z", to: null };
const input = (over: Partial<BundleInput> = {}): BundleInput => ({
  channels: [general, dm],
  items: items(),
  parameters,
  signingKey: loadOfficerKey(officer.privateKeyPem),
  generator: "parley test",
  createdAt: new Date("2026-03-10T12:00:00Z"),
  ...over,
});

const bundle = path.join(root, "bundle");
const progress: BundleProgress[] = [];
before(async () => {
  await writeEdiscoveryBundle(bundle, input({ onProgress: (p) => progress.push(p) }));
});

/** A fresh copy of the good bundle to damage. */
function copy(name: string): string {
  const dir = path.join(root, name);
  fs.cpSync(bundle, dir, { recursive: true });
  return dir;
}
const read = (rel: string, dir = bundle) => fs.readFileSync(path.join(dir, rel));
const lines = () =>
  read("messages.jsonl")
    .toString()
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const codes = (r: { problems: { code: BundleProblemCode; path: string | null }[] }) => r.problems.map((p) => `${p.code} ${p.path}`);

test("the bundle verifies, and says who signed it", async () => {
  const r = await verifyEdiscoveryBundle(bundle, { expectedFingerprint: officer.fingerprint.toUpperCase().replace(/ /g, "") });
  assert.deepEqual(r.problems, []);
  assert.equal(r.ok, true);
  assert.equal(r.signer?.fingerprint, officer.fingerprint);
  assert.equal(r.checked, r.manifest?.files.length);
  const listed = r.manifest!.files.map((f) => f.path);
  for (const p of ["messages.jsonl", "README.txt", "rendering/general-c-general.html", "rendering/img_src_x_onerror_alert_1-c-dm.html"])
    assert.ok(listed.includes(p), p);
  assert.equal(listed.filter((p) => p.endsWith(".eml")).length, 9, "one .eml per item");
  assert.deepEqual(r.manifest!.counts, {
    channels: 2,
    items: 9,
    messages: 6,
    edits: 1,
    deletes: 1,
    reactions: 1,
    attachments: 2,
    attachmentsUnavailable: 1,
    unavailable: 1,
    deletedLater: 1,
    legalHold: 2,
    signatureFailures: 1,
  });
  assert.deepEqual(r.manifest!.parameters, parameters);
  assert.equal(read("manifest.sig").length, 64);
});

test("manifest.sig checks with OpenSSL alone, as README.txt says", (t) => {
  const pem = JSON.parse(read("manifest.json").toString()).signer.publicKey as string;
  assert.ok(verify(null, read("manifest.json"), pem, read("manifest.sig")));
  const pemFile = path.join(root, "signer.pem");
  fs.writeFileSync(pemFile, pem);
  try {
    const out = execFileSync("openssl", [
      "pkeyutl",
      "-verify",
      "-pubin",
      "-inkey",
      pemFile,
      "-rawin",
      "-in",
      path.join(bundle, "manifest.json"),
      "-sigfile",
      path.join(bundle, "manifest.sig"),
    ]);
    assert.match(out.toString(), /Signature Verified Successfully/);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") t.skip("openssl is not installed");
    else throw err;
  }
});

test("messages.jsonl: one record per item in a fixed field order, text exactly as written, times in UTC", () => {
  const recs = lines();
  assert.equal(recs.length, 9);
  for (const r of recs)
    assert.deepEqual(Object.keys(r), [
      "channelId",
      "channelName",
      "seq",
      "id",
      "kind",
      "sentAt",
      "sender",
      "senderDeviceId",
      "threadRoot",
      "target",
      "format",
      "text",
      "emoji",
      "attachments",
      "unavailable",
      "deletedLater",
      "legalHold",
      "signature",
      "eml",
    ]);
  assert.equal(recs[0]!.text, hostile);
  assert.equal(recs[0]!.sentAt, "2026-03-01T09:00:00.000Z");
  assert.deepEqual(recs[3]!, { ...recs[3], deletedLater: true, legalHold: true });
  assert.deepEqual(recs[4]!.target, 4);
  assert.deepEqual([recs[5]!.unavailable, recs[5]!.emoji, recs[0]!.unavailable], ["the history key of epoch 3 is not in the archive", null, null]);
  assert.deepEqual(recs[6]!.signature, { status: "failed", reason: "bad_signature" });
  assert.equal(recs[7]!.text, "Ünïcödé **bold**\nsecond line");
  assert.deepEqual(recs[8]!.attachments, [{ name: "gone.txt", contentType: "text/plain", unavailable: "blob deleted by retention" }]);
  const files = recs[1]!.attachments as { name: string; path: string; sha256: string; size: number }[];
  assert.equal(files[0]!.name, "../../etc/passwd", "the original name is kept as data");
  assert.equal(files[0]!.path, `attachments/${sha(binary)}-etc_passwd`);
  assert.equal(files[1]!.path, `attachments/${sha(pdf)}-Résumé_2026.pdf`);
});

test("attachments are byte-identical, named by hash, and no name leaves attachments/", () => {
  assert.deepEqual(new Uint8Array(read(`attachments/${sha(binary)}-etc_passwd`)), binary);
  assert.deepEqual(new Uint8Array(read(`attachments/${sha(pdf)}-Résumé_2026.pdf`)), pdf);
  assert.deepEqual(fs.readdirSync(path.join(bundle, "attachments")).sort(), [`${sha(binary)}-etc_passwd`, `${sha(pdf)}-Résumé_2026.pdf`].sort());
  assert.ok(!fs.existsSync(path.join(root, "etc")) && !fs.existsSync(path.join(bundle, "etc")));
  for (const [name, safe] of [
    ["../../etc/passwd", "etc_passwd"],
    ["..\\..\\boot.ini", "boot.ini"],
    [".bashrc", "bashrc"],
    ["CON.txt", "_CON.txt"],
    ["a/b\u0000c\r\n.exe", "a_b_c_.exe"],
    ["<img src=x>", "img_src_x"],
    ["...", "file"],
    ["", "file"],
    [`${"x".repeat(200)}.tar.gz`, `${"x".repeat(77)}.gz`],
  ])
    assert.equal(safeFileName(name!), safe, name);
});

test("progress counts items, then the files hashed for the manifest", () => {
  const itemsStep = progress.filter((p) => p.step === "items");
  assert.deepEqual(
    itemsStep.map((p) => p.done),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.ok(itemsStep.every((p) => p.total === 9));
  const hashing = progress.filter((p) => p.step === "hashing");
  assert.equal(hashing.at(-1)!.done, hashing.at(-1)!.total);
});

test("HTML transcripts escape every text: no markup from messages, names or channel names", () => {
  const html = read("rendering/general-c-general.html").toString();
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<div onclick/i);
  assert.match(html, /Hi &#60;script&#62;alert\(&#39;x&#39;\)&#60;\/script&#62; &#38; &#60;\/div&#62;/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.match(html, /href="\.\.\/attachments\/[0-9a-f]{64}-etc_passwd"/);
  assert.match(html, /deleted later/);
  assert.match(html, /legal hold/);
  assert.match(html, /signature failed: bad_signature/);
  assert.match(html, /Bøb &#34;the builder&#34; &#60;b@x&#62;/);
  const dmHtml = read("rendering/img_src_x_onerror_alert_1-c-dm.html").toString();
  assert.doesNotMatch(dmHtml, /<img/i);
  assert.match(dmHtml, /&#60;img src=x onerror=alert\(1\)&#62;/);
  assert.match(dmHtml, /gone\.txt.*unavailable.*blob deleted by retention/);
});

test(".eml files parse as mail and carry the attachments byte for byte", async () => {
  const dir = path.join(bundle, "rendering/general-c-general");
  const mail = await simpleParser(fs.readFileSync(path.join(dir, "00000002-message.eml")));
  assert.equal(mail.subject, "[#general] the files");
  assert.equal(mail.text?.trim(), "the files");
  assert.equal(mail.messageId, "<2.c-general@parley.invalid>");
  assert.equal(mail.date?.toISOString(), "2026-03-02T09:00:00.000Z");
  const from = (mail.from as AddressObject).value[0]!;
  assert.equal(from.address, "bob@parley.invalid");
  assert.equal(from.name, bob.displayName, "the display name, line break included, stays a name and adds no header");
  assert.equal(mail.headers.get("bcc"), undefined, "no header injected through a display name");
  assert.equal((mail.to as AddressObject).value[0]!.address, "channel.c-general@parley.invalid");
  assert.equal(mail.attachments.length, 2);
  assert.equal(mail.attachments[0]!.filename, "etc_passwd");
  assert.deepEqual(new Uint8Array(mail.attachments[0]!.content), binary);
  assert.equal(mail.attachments[1]!.filename, "Résumé_2026.pdf");
  assert.deepEqual(new Uint8Array(mail.attachments[1]!.content), pdf);
  const raw = fs.readFileSync(path.join(dir, "00000002-message.eml"), "latin1");
  assert.match(
    raw,
    /\r\nContent-Type: application\/octet-stream; name\*=UTF-8''R%C3%A9sum%C3%A9_2026\.pdf\r\n/,
    "a content type with a line break is not trusted",
  );
  assert.doesNotMatch(raw, /X-Evil/i);
  assert.doesNotMatch(raw, /^Bcc:/im);

  const edit = await simpleParser(fs.readFileSync(path.join(dir, "00000003-edit.eml")));
  assert.equal(edit.inReplyTo, "<1.c-general@parley.invalid>");
  assert.equal(edit.subject, "[#general] Edit of #1: Hello (edited)");
  const held = await simpleParser(fs.readFileSync(path.join(dir, "00000004-message.eml")));
  assert.equal(held.headers.get("x-parley-legal-hold"), "yes");
  assert.equal(held.headers.get("x-parley-deleted-later"), "yes");
  const bad = await simpleParser(fs.readFileSync(path.join(dir, "00000007-message.eml")));
  assert.equal(bad.headers.get("x-parley-signature"), "failed: bad_signature");
  assert.equal(bad.inReplyTo, "<2.c-general@parley.invalid>");
  const hostileMail = await simpleParser(fs.readFileSync(path.join(dir, "00000001-message.eml")));
  assert.equal(hostileMail.text?.trim(), hostile);

  const uni = await simpleParser(fs.readFileSync(path.join(bundle, "rendering/img_src_x_onerror_alert_1-c-dm/00000001-message.eml")));
  assert.equal(uni.subject, "[#<img src=x onerror=alert(1)>] Ünïcödé **bold**");
  assert.equal(uni.text?.replace(/\r\n/g, "\n").trim(), "Ünïcödé **bold**\nsecond line");
  assert.equal(uni.headers.get("x-parley-format"), "markdown");
  const lost = await simpleParser(fs.readFileSync(path.join(bundle, "rendering/img_src_x_onerror_alert_1-c-dm/00000002-message.eml")));
  assert.equal(lost.attachments.length, 0);
  assert.equal(lost.headers.get("x-parley-attachment-unavailable"), "gone.txt: blob deleted by retention");
});

test("a changed attachment byte, a missing, an extra or a linked file, and an edited manifest are each reported", async () => {
  const att = `attachments/${sha(binary)}-etc_passwd`;
  const flipped = copy("flipped");
  const bytes = read(att, flipped);
  bytes[40_000]! ^= 1;
  fs.writeFileSync(path.join(flipped, att), bytes);
  assert.deepEqual(codes(await verifyEdiscoveryBundle(flipped)), [`file_altered ${att}`]);

  const missing = copy("missing");
  fs.rmSync(path.join(missing, "rendering/general-c-general/00000005-delete.eml"));
  assert.deepEqual(codes(await verifyEdiscoveryBundle(missing)), ["file_missing rendering/general-c-general/00000005-delete.eml"]);

  const extra = copy("extra");
  fs.writeFileSync(path.join(extra, "attachments/planted.txt"), "x");
  fs.symlinkSync("/etc/hostname", path.join(extra, "rendering/link.html"));
  assert.deepEqual(codes(await verifyEdiscoveryBundle(extra)), ["file_extra attachments/planted.txt", "file_extra rendering/link.html"]);

  const edited = copy("edited");
  const m = read("manifest.json", edited).toString();
  fs.writeFileSync(path.join(edited, "manifest.json"), m.replace('"deletedLater": 1', '"deletedLater": 0'));
  assert.deepEqual(codes(await verifyEdiscoveryBundle(edited)), ["signature_invalid manifest.sig"]);

  const unsigned = copy("unsigned");
  fs.rmSync(path.join(unsigned, "manifest.sig"));
  assert.deepEqual(codes(await verifyEdiscoveryBundle(unsigned)), ["signature_missing manifest.sig"]);

  const noManifest = copy("no-manifest");
  fs.rmSync(path.join(noManifest, "manifest.json"));
  assert.deepEqual(codes(await verifyEdiscoveryBundle(noManifest)), ["manifest_missing manifest.json"]);
  fs.writeFileSync(path.join(noManifest, "manifest.json"), "{ not json");
  assert.deepEqual(codes(await verifyEdiscoveryBundle(noManifest)), ["manifest_malformed manifest.json"]);
});

test("a bundle re-signed by someone else verifies only until the reviewer names the expected officer", async () => {
  const dir = copy("resigned");
  const other = generateKeyPairSync("ed25519");
  const manifest = JSON.parse(read("manifest.json", dir).toString());
  manifest.files.push({ path: "../outside.txt", size: 1, sha256: "00" });
  manifest.signer = {
    algorithm: "Ed25519",
    publicKey: other.publicKey.export({ format: "pem", type: "spki" }),
    fingerprint: officerKeyFingerprint(other.publicKey),
  };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "manifest.json"), bytes);
  const { sign } = await import("node:crypto");
  fs.writeFileSync(path.join(dir, "manifest.sig"), sign(null, bytes, other.privateKey));
  assert.deepEqual(codes(await verifyEdiscoveryBundle(dir)), ["path_unsafe ../outside.txt"]);
  const r = await verifyEdiscoveryBundle(dir, { expectedFingerprint: officer.fingerprint });
  assert.deepEqual(codes(r), ["signer_mismatch manifest.json", "path_unsafe ../outside.txt"]);
  assert.equal(r.signer?.fingerprint, officerKeyFingerprint(other.publicKey));
});

test("the zip holds the same files, and its extracted copy verifies", async () => {
  const zipFile = path.join(root, "bundle.zip");
  await zipEdiscoveryBundle(bundle, zipFile);
  const entries = unzipSync(fs.readFileSync(zipFile));
  const out = path.join(root, "unzipped");
  for (const [name, data] of Object.entries(entries)) {
    assert.ok(name.startsWith("bundle/") && !name.includes(".."), name);
    fs.mkdirSync(path.dirname(path.join(out, name)), { recursive: true });
    fs.writeFileSync(path.join(out, name), data);
  }
  assert.equal((await verifyEdiscoveryBundle(path.join(out, "bundle"))).ok, true);
  await assert.rejects(zipEdiscoveryBundle(bundle, path.join(bundle, "inside.zip")), (e) => e instanceof BundleError && e.code === "bundle_bad_target");
  assert.ok(!fs.existsSync(path.join(bundle, "inside.zip")));
});

test("bad input is refused: a used directory, unknown channels, seqs out of order, attachments without bytes or reason, non-Ed25519 keys", async () => {
  const refused = (code: string) => (e: unknown) => e instanceof BundleError && e.code === code;
  await assert.rejects(writeEdiscoveryBundle(bundle, input()), refused("bundle_bad_target"));
  const bad = (name: string, list: ExportItem[]) => writeEdiscoveryBundle(path.join(root, name), input({ items: list }));
  await assert.rejects(bad("unknown", [base({ channelId: "c-other", seq: 1, kind: "message", text: "x" })]), refused("bundle_bad_item"));
  await assert.rejects(bad("order", [base({ seq: 2, kind: "message", text: "x" }), base({ seq: 2, kind: "message", text: "y" })]), refused("bundle_bad_item"));
  await assert.rejects(bad("time", [base({ seq: 1, kind: "message", text: "x", sentAt: "yesterday" })]), refused("bundle_bad_item"));
  await assert.rejects(bad("nofile", [base({ seq: 1, kind: "message", attachments: [{ name: "a", contentType: "text/plain" }] })]), refused("bundle_bad_item"));
  assert.ok(!fs.existsSync(path.join(root, "nofile/manifest.json")), "nothing signed after a refusal");
  await assert.rejects(writeEdiscoveryBundle(path.join(root, "dup"), input({ channels: [general, general] })), refused("bundle_bad_item"));

  const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  assert.throws(() => loadOfficerKey(rsa), refused("bundle_bad_key"));
  assert.throws(() => loadOfficerKey("not a key"), refused("bundle_bad_key"));
  assert.throws(() => loadOfficerKey(new Uint8Array(31)), refused("bundle_bad_key"));
  const seed = new Uint8Array(32).fill(9);
  assert.equal(officerKeyFingerprint(loadOfficerKey(seed)), officerKeyFingerprint(loadOfficerKey(seed)));
  assert.match(officerKeyFingerprint(loadOfficerKey(seed)), /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
});

test("an empty export still makes a signed bundle with a transcript per channel", async () => {
  const dir = path.join(root, "empty");
  const r = await writeEdiscoveryBundle(dir, input({ items: [] }));
  assert.equal(r.manifest.counts.items, 0);
  assert.equal(r.fingerprint, officer.fingerprint);
  assert.equal((await verifyEdiscoveryBundle(dir)).ok, true);
  assert.equal(read("messages.jsonl", dir).length, 0);
  assert.match(read("rendering/general-c-general.html", dir).toString(), /0 item\(s\)/);
});
