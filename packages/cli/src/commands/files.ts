/**
 * Files: `parley send CHANNEL --file PATH` streams the file through the SDK's
 * sendFile (encrypted on this device with a fresh key, uploaded as
 * ciphertext in resumable chunks; the key and digest travel inside the MLS
 * message), and `parley download CHANNEL SEQ` decrypts an attachment and
 * checks its digest, keeping nothing on a mismatch.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Event } from "@parley/protocol";
import { isE2eeError, type FileDescriptor, type SendResult } from "@parley/sdk/node";
import { int, str, type Command, type Ctx } from "../command.ts";
import { CliError } from "../errors.ts";
import { beforeJoin, HISTORY_NOTE } from "../content.ts";
import { size } from "../render.ts";
import { resolveChannel, withClient, type Online } from "../session.ts";

const MIME: Record<string, string> = {
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".json": "application/json",
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".csv": "text/csv",
  ".html": "text/html",
  ".mp4": "video/mp4",
};

/** Counts bytes through a stream and reports progress on stderr every 10% (never on stdout: --json stays parseable). */
function progress(ctx: Ctx, label: string, total: number): TransformStream<Uint8Array, Uint8Array> {
  let done = 0;
  let shown = -1;
  return new TransformStream({
    transform(chunk, controller) {
      done += chunk.length;
      const pct = total ? Math.floor((done / total) * 10) * 10 : 100;
      if (pct !== shown) {
        shown = pct;
        ctx.out.note(`${label}: ${pct}% (${size(done)} of ${size(total)})`);
      }
      controller.enqueue(chunk);
    },
  });
}

/** Encrypt and upload the file at `file`, then send the message that carries its key. */
export async function sendFileVia(
  ctx: Ctx,
  o: Online,
  channelId: string,
  file: string,
  opts: { text?: string; threadRoot: number | null },
): Promise<SendResult & { file: FileDescriptor }> {
  let stat: fs.Stats;
  try {
    stat = await fsp.stat(file);
  } catch {
    throw new CliError("not_found", `cannot read ${file}`, "check the path");
  }
  if (!stat.isFile()) throw new CliError("usage", `${file} is not a regular file`, undefined, 2);
  const name = path.basename(file);
  const body = (Readable.toWeb(fs.createReadStream(file)) as ReadableStream<Uint8Array>).pipeThrough(
    progress(ctx, `encrypting and uploading ${name}`, stat.size),
  );
  return o.client.sendFile(channelId, body, {
    name,
    mime: MIME[path.extname(name).toLowerCase()] ?? "application/octet-stream",
    size: stat.size,
    ...(opts.text !== undefined ? { text: opts.text } : {}),
    threadRoot: opts.threadRoot,
  });
}

/** The event with this seq (from the server; its content from this device's history cache). */
async function eventAt(o: Online, channelId: string, seq: number): Promise<Event> {
  const r = await o.api.call("listEvents", { params: { channelId }, query: { after: seq - 1, limit: 1 } });
  const e = r.events.find((x) => x.seq === seq);
  if (!e) throw new CliError("not_found", `there is no message #${seq}`, "see `parley read CHANNEL`");
  return e;
}

// A file name from a message is untrusted: keep only its last path segment.
const safeName = (name: string) => path.basename(name.replace(/\\/g, "/")).replace(/^\.+/, "") || "download";

export const fileCommands: Command[] = [
  {
    name: ["download"],
    usage: "CHANNEL SEQ [--out PATH]",
    summary: "Download and decrypt the file attached to message SEQ (digest checked; nothing kept on a mismatch)",
    min: 2,
    details: "Without --out the file is saved under its own name in the current directory (never overwriting one).",
    options: { out: { type: "string", short: "o" } },
    async run(ctx) {
      const seq = int(ctx.args[1]!.replace(/^#/, ""), "SEQ")!;
      const explicit = str(ctx.opts, "out");
      const r = await withClient(
        ctx,
        async (o) => {
          const ch = await resolveChannel(o.client, ctx.args[0]!);
          const [m] = await o.client.decode([await eventAt(o, ch.id, seq)]);
          if (beforeJoin(m!.content)) throw new CliError("history_unavailable", `#${seq} was sent before this device joined #${ch.name}`, HISTORY_NOTE);
          if (m!.content.decodeError) throw new CliError("undecryptable", `#${seq} cannot be read on this device: ${m!.content.decodeError}`);
          const files = Array.isArray(m!.content.files) ? (m!.content.files as FileDescriptor[]) : [];
          const file = files[0];
          if (!file) throw new CliError("not_found", `message #${seq} has no file`, "files show as [file: NAME] in `parley read`");
          const out = path.resolve(explicit ?? safeName(file.name));
          if (!explicit && fs.existsSync(out)) throw new CliError("already_exists", `${out} exists`, "pass --out PATH to choose where to save it");
          // Written beside the target and renamed only once the digest checked out.
          const part = `${out}.parley-part`;
          try {
            const plain = await o.client.downloadFile(file);
            await pipeline(
              Readable.fromWeb(
                plain.pipeThrough(progress(ctx, `downloading and decrypting ${file.name}`, file.size)) as import("node:stream/web").ReadableStream,
              ),
              fs.createWriteStream(part, { mode: 0o600 }),
            );
            await fsp.rename(part, out);
          } catch (err) {
            await fsp.rm(part, { force: true });
            if (isE2eeError(err) && String(err.code).startsWith("attachment_")) {
              const what =
                err.code === "attachment_digest_mismatch"
                  ? "does not match the digest its sender encrypted"
                  : err.code === "attachment_truncated"
                    ? "is truncated"
                    : "failed authentication (tampered or corrupted)";
              throw new CliError(
                err.code,
                `the downloaded file ${what}; nothing was saved`,
                "the server's copy is damaged or was altered: ask the sender to send it again",
              );
            }
            throw err;
          }
          return { channel: ch.name, seq, file: { fileId: file.fileId, name: file.name, mime: file.mime, size: file.size }, out, digestVerified: true };
        },
        { sync: true },
      );
      ctx.out.result(r, `saved ${r.file.name} (${size(r.file.size)}, digest verified) to ${r.out}`);
    },
  },
];
