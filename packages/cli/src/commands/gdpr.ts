/**
 * Data-subject rights (docs/gdpr.md): `parley me export` — the server's export of your account
 * plus your decrypted message history from this device, in one ZIP; `parley me erase-request`;
 * and for compliance officers `parley compliance export-user | erase | requests | decline`.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { strToU8, unzipSync, zipSync, type Zippable } from "fflate";
import type { GdprRequest } from "@parley/protocol";
import { exportHistory, type Api } from "@parley/sdk/node";
import { required, str, type Command, type Ctx } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { table, when } from "../render.ts";
import { directory, withAccount, withClient } from "../session.ts";

/** Write `bytes` to `out` (0600), beside it first and renamed once complete. */
async function writeZip(out: string, bytes: Uint8Array): Promise<string> {
  const file = path.resolve(out);
  const part = `${file}.parley-part`;
  try {
    await fs.writeFile(part, bytes, { mode: 0o600 });
    await fs.rename(part, file);
  } catch (err) {
    await fs.rm(part, { force: true });
    throw new CliError("file_unwritable", `cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, "check the path");
  }
  return file;
}

function zipPath(ctx: Ctx, cmd: string): string {
  const out = required(ctx.opts, "out", cmd);
  if (!out.toLowerCase().endsWith(".zip")) throw new UsageError(`--out names a .zip file, got '${out}'`);
  return out;
}

/** A ZIP route's bytes (the export is built on the server before the first byte comes). */
async function download(api: Api, routePath: string): Promise<Uint8Array> {
  const res = await api.raw("POST", routePath, { timeoutMs: 10 * 60_000 });
  return new Uint8Array(await res.arrayBuffer());
}

const requestLine = (r: GdprRequest) => [
  r.id,
  r.kind,
  r.held ? `${r.status} (held)` : r.status,
  r.username,
  `asked ${when(r.requestedAt)}`,
  r.note || r.response,
];

export const gdprCommands: Command[] = [
  {
    name: ["me", "export"],
    usage: "--out FILE.zip [--no-messages]",
    summary: "Export your data: everything the server holds about you plus your decrypted messages from this device, as one ZIP",
    details: `The server's part (profile, devices, sessions, memberships, audit entries about you, ...) is
described in the archive's README.txt. Your messages are end-to-end encrypted, so the server
cannot export them: this device decrypts every channel you are in and adds them as
messages/<channel>.jsonl (one event per line; edits, reactions and deletions refer to the
message they change by its seq). Events this device cannot read are listed with "unreadable".
Progress goes to stderr. --no-messages writes the server's part only.`,
    options: { out: { type: "string", short: "o" }, "no-messages": { type: "boolean" } },
    async run(ctx) {
      const out = zipPath(ctx, "me export --out FILE.zip");
      const withMessages = !ctx.opts["no-messages"];
      const r = await withClient(
        ctx,
        async ({ api, client, session }) => {
          ctx.out.note("downloading the server's export…");
          const files: Zippable = unzipSync(await download(api, "/me/export"));
          if (!withMessages) return { file: await writeZip(out, zipSync(files, { level: 6 })), channels: 0, events: 0 };
          const dir = await directory(api);
          const history = await exportHistory(client, {
            userId: session.userId,
            deviceId: session.deviceId,
            exportedBy: "parley cli",
            name: dir.name,
            // A line per page read (a channel's start, with 0 events, is not worth one on a terminal).
            onProgress: (p) => void (p.events && ctx.out.note(`messages: ${p.channel}/${p.channels} ${p.name || p.file} — ${p.events} events`)),
          });
          for (const [name, text] of Object.entries(history.files)) files[name] = strToU8(text);
          const file = await writeZip(out, zipSync(files, { level: 6 }));
          return { file, channels: history.channels, events: history.events };
        },
        { sync: withMessages },
      );
      ctx.out.result(r, withMessages ? `wrote ${r.file}: your server data and ${r.events} events from ${r.channels} channels` : `wrote ${r.file}`);
    },
  },
  {
    name: ["me", "erase-request"],
    usage: "[--note TEXT]",
    summary: "Ask your organisation's compliance officers to erase your account and personal data",
    options: { note: { type: "string" } },
    async run(ctx) {
      const note = str(ctx.opts, "note") ?? "";
      if (note.length > 1000) throw new UsageError("--note has at most 1000 characters");
      const req = await withAccount(ctx, ({ api }) => api.call("createGdprRequest", { body: { kind: "erase", note } }));
      ctx.out.result(req, `asked for your erasure (request ${req.id}); the compliance officers will answer it`);
    },
  },
  {
    name: ["compliance", "export-user"],
    usage: "USER --out FILE.zip",
    summary: "A user's data-subject export (everything the server holds about them), as a compliance officer",
    min: 1,
    options: { out: { type: "string", short: "o" } },
    async run(ctx) {
      const out = zipPath(ctx, "compliance export-user USER --out FILE.zip");
      const r = await withClient(ctx, async ({ api }) => {
        const user = (await directory(api)).byName(ctx.args[0]!);
        ctx.out.note(`exporting ${user.username}…`);
        const bytes = await download(api, `/compliance/users/${encodeURIComponent(user.id)}/export`);
        return { file: await writeZip(out, bytes), userId: user.id, username: user.username, bytes: bytes.length };
      });
      ctx.out.result(r, `wrote ${r.file} (${r.username}, ${r.bytes} bytes)`);
    },
  },
  {
    name: ["compliance", "erase"],
    usage: "USER --confirm USER [--note TEXT]",
    summary: "Erase a user (GDPR Art. 17): deactivate, revoke every device, delete their personal data; refused under a legal hold",
    details: `Pass the username twice (USER and --confirm USER): an erasure cannot be undone. The account
stays as a deactivated pseudonym (erased-...) so the messages they sent (end-to-end encrypted)
and the audit chain remain; what is kept and why: docs/gdpr.md. A legal hold on the user makes
the server refuse (release the hold first).`,
    min: 1,
    options: { confirm: { type: "string" }, note: { type: "string" } },
    async run(ctx) {
      const username = ctx.args[0]!.replace(/^@/, "");
      if (str(ctx.opts, "confirm")?.replace(/^@/, "") !== username) throw new UsageError(`pass --confirm ${username} to erase ${username}`);
      const r = await withClient(ctx, async ({ api }) => {
        const user = (await directory(api)).byName(username);
        return api.call("eraseUser", { params: { id: user.id }, body: { confirm: user.username, note: str(ctx.opts, "note") ?? "" } });
      });
      ctx.out.result(r, `erased ${username}: now ${r.username}; ${r.devicesRevoked} devices revoked, ${r.sessionsEnded} sessions ended`);
    },
  },
  {
    name: ["compliance", "requests"],
    usage: "[--pending] [--user USER]",
    summary: "The org's data-subject requests and exports (pending first)",
    options: { pending: { type: "boolean" }, user: { type: "string" } },
    async run(ctx) {
      const { requests } = await withClient(ctx, async ({ api }) => {
        const who = str(ctx.opts, "user");
        const userId = who ? (await directory(api)).byName(who).id : undefined;
        return api.call("listGdprRequests", { query: { status: ctx.opts.pending ? "pending" : "all", ...(userId ? { userId } : {}) } });
      });
      ctx.out.result({ requests }, () => (requests.length ? table(requests.map(requestLine)) : "no requests"));
    },
  },
  {
    name: ["compliance", "decline"],
    usage: "REQUEST_ID --reason TEXT",
    summary: "Decline a pending erasure request, saying why (the user sees the reason)",
    min: 1,
    options: { reason: { type: "string" } },
    async run(ctx) {
      const reason = required(ctx.opts, "reason", "compliance decline REQUEST_ID --reason TEXT");
      const r = await withClient(ctx, ({ api }) => api.call("declineGdprRequest", { params: { id: ctx.args[0]! }, body: { response: reason } }));
      ctx.out.result(r, `declined request ${r.id} of ${r.username}`);
    },
  },
];
