/**
 * One RFC 5322 message per archive item (`rendering/<channel>/<seq>-<kind>.eml`), for review
 * tools that load mail: From is the sender, To the channel, Message-ID names the item, and
 * In-Reply-To/References point at the item it edits, deletes, reacts to or replies in. The
 * text goes base64 in UTF-8, attachments as base64 MIME parts streamed from their files in
 * the bundle; every header built from user text is an RFC 2047 encoded word when it is not
 * plain printable ASCII, so no text can add a header or a line.
 */
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import type { Sink } from "./files.ts";
import { safeId, type ExportChannel, type ExportItem, type ExportPerson, type WrittenAttachment } from "./items.ts";

/** Everything one .eml needs. */
export interface EmlInput {
  channel: ExportChannel;
  item: ExportItem;
  /** The item's time in UTC (ISO 8601). */
  sentAt: string;
  files: WrittenAttachment[];
  /** Mail domain of the made-up addresses (default parley.invalid: never a real one). */
  domain: string;
  /** The bundle directory (attachment bytes are read back from it). */
  bundleDir: string;
}

const PRINTABLE = /^[\x20-\x7e]*$/;
const ATOM_PHRASE = /^[A-Za-z0-9 !#$%&'*+\-/=?^_`{|}~.]*$/;
const LINE = 76;
const BYTES_PER_LINE = (LINE / 4) * 3; // 57

/** RFC 2047 B encoded words (≤ 75 characters each, split on character boundaries), folded. */
function encodedWords(s: string): string {
  const words: string[] = [];
  let chunk = "";
  for (const ch of s) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = "";
    }
    chunk += ch;
  }
  if (chunk || !words.length) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, "utf8").toString("base64")}?=`).join("\r\n ");
}

/** Unstructured header text (Subject, reasons). */
function headerText(s: string): string {
  return PRINTABLE.test(s) && s.length <= 900 ? s : encodedWords(s);
}

/** A display name in an address. */
function phrase(s: string): string {
  return ATOM_PHRASE.test(s) && s.length <= 200 ? `"${s}"` : encodedWords(s);
}

function localPart(p: ExportPerson): string {
  const u = p.username.toLowerCase();
  return /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(u) ? u : `user-${safeId(p.userId)}`;
}

function messageId(seq: number, channelId: string, domain: string): string {
  return `<${seq}.${safeId(channelId)}@${domain}>`;
}

function subjectOf(channel: ExportChannel, item: ExportItem): string {
  const tag = `[#${channel.name}]`;
  const firstLine = (item.text ?? "").split(/\r?\n/, 1)[0]!;
  const short = [...firstLine].length > 60 ? `${[...firstLine].slice(0, 60).join("")}…` : firstLine;
  switch (item.kind) {
    case "edit":
      return `${tag} Edit of #${item.target ?? "?"}: ${short}`;
    case "delete":
      return `${tag} Deletion of #${item.target ?? "?"}`;
    case "reaction":
      return `${tag} Reaction ${item.emoji ?? ""} to #${item.target ?? "?"}`;
    default:
      return `${tag} ${short || "(no text)"}`;
  }
}

function base64Lines(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString("base64");
  return (b64.match(/.{1,76}/g) ?? []).join("\r\n") + "\r\n";
}

/** Base64 lines of a file, streamed in 57-byte groups. */
async function writeFileBase64(sink: Sink, file: string): Promise<void> {
  let rest = Buffer.alloc(0);
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    const whole = buf.length - (buf.length % BYTES_PER_LINE);
    if (whole) await sink.write(base64Lines(buf.subarray(0, whole)));
    rest = Buffer.from(buf.subarray(whole));
  }
  if (rest.length) await sink.write(base64Lines(rest));
}

const CONTENT_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+$/;

/** `name="…"` or RFC 2231 `name*=UTF-8''…` for a file name. */
function fileParam(param: string, name: string): string {
  if (/^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name)) return `${param}="${name}"`;
  return `${param}*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/** The headers of an item's message (CRLF-terminated lines, no blank line). */
function headers(e: EmlInput): string[] {
  const { channel, item, domain } = e;
  const refs = [item.threadRoot, item.target].filter((s): s is number => s !== null).map((s) => messageId(s, channel.id, domain));
  const lines = [
    `From: ${phrase(item.sender.displayName)} <${localPart(item.sender)}@${domain}>`,
    `To: ${phrase(`#${channel.name}`)} <channel.${safeId(channel.id)}@${domain}>`,
    `Date: ${new Date(e.sentAt).toUTCString().replace(/GMT$/, "+0000")}`,
    `Subject: ${headerText(subjectOf(channel, item))}`,
    `Message-ID: ${messageId(item.seq, channel.id, domain)}`,
  ];
  if (refs.length) lines.push(`In-Reply-To: ${refs[refs.length - 1]}`, `References: ${[...new Set(refs)].join(" ")}`);
  lines.push(
    "MIME-Version: 1.0",
    `X-Parley-Event-Id: ${safeId(item.id)}`,
    `X-Parley-Channel-Id: ${safeId(channel.id)}`,
    `X-Parley-Seq: ${item.seq}`,
    `X-Parley-Kind: ${item.kind}`,
    `X-Parley-Sender-User-Id: ${safeId(item.sender.userId)}`,
    `X-Parley-Sender-Device-Id: ${safeId(item.senderDeviceId)}`,
    `X-Parley-Format: ${item.format ?? "plain"}`,
    `X-Parley-Signature: ${item.signature.status === "verified" ? "verified" : headerText(`failed: ${item.signature.reason}`)}`,
    ...(item.unavailable !== undefined ? [`X-Parley-Content-Unavailable: ${headerText(item.unavailable)}`] : []),
    `X-Parley-Legal-Hold: ${item.legalHold ? "yes" : "no"}`,
    `X-Parley-Deleted-Later: ${item.deletedLater ? "yes" : "no"}`,
  );
  for (const f of e.files) if (!("path" in f)) lines.push(`X-Parley-Attachment-Unavailable: ${headerText(`${f.name}: ${f.unavailable}`)}`);
  return lines;
}

/** Writes the .eml of one item to `sink`. */
export async function writeEml(sink: Sink, e: EmlInput): Promise<void> {
  const { item } = e;
  // Text parts are in canonical form (CRLF line ends, RFC 2045); messages.jsonl keeps the text exactly.
  const text = (item.kind === "reaction" ? (item.emoji ?? "") : (item.text ?? "")).replace(/\r?\n/g, "\r\n");
  const textPart =
    ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "", ""].join("\r\n") + base64Lines(Buffer.from(text, "utf8"));
  const stored = e.files.filter((f): f is Extract<WrittenAttachment, { path: string }> => "path" in f);
  const head = headers(e);
  if (!stored.length) {
    await sink.write(head.join("\r\n") + "\r\n" + textPart);
    return;
  }
  const boundary = `parley-${randomBytes(12).toString("hex")}`;
  head.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
  await sink.write(`${head.join("\r\n")}\r\n\r\nThis is a multi-part message in MIME format.\r\n--${boundary}\r\n${textPart}`);
  for (const f of stored) {
    const name = f.path.slice("attachments/".length + f.sha256.length + 1);
    const type = CONTENT_TYPE.test(f.contentType) ? f.contentType.toLowerCase() : "application/octet-stream";
    await sink.write(
      `--${boundary}\r\nContent-Type: ${type}; ${fileParam("name", name)}\r\nContent-Disposition: attachment; ${fileParam("filename", name)}\r\n` +
        `Content-Transfer-Encoding: base64\r\n\r\n`,
    );
    await writeFileBase64(sink, path.join(e.bundleDir, ...f.path.split("/")));
  }
  await sink.write(`--${boundary}--\r\n`);
}
