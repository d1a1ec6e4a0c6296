/**
 * Messages: send (and thread replies, and files), read (history with edits,
 * deletes and reactions applied; --follow streams live), thread, react, edit,
 * delete. Everything is end-to-end encrypted by the SDK (MLS). Each command
 * first syncs the device (Welcomes, commits, new messages) so its groups are
 * current; history shows what this device decrypted, from its sealed cache.
 */
import type { Event } from "@parley/protocol";
import type { ParleyClient, ReceivedEvent, SendInput } from "@parley/sdk/node";
import { int, str, type Command, type Ctx } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { foldTimeline, messageLine, type MessageView } from "../render.ts";
import { beforeJoin, HISTORY_NOTE } from "../content.ts";
import { directory, resolveChannel, withClient, type Online } from "../session.ts";
import { follow } from "../follow.ts";
import { sendFileVia } from "./files.ts";

const SEND_DEADLINE_MS = 20_000;

/**
 * Send through the SDK outbox (same clientId on every retry, so a lost ack
 * never duplicates). A send the server has not confirmed by the deadline
 * stays queued in the profile and goes out once the profile next connects.
 */
async function sendVia(o: Online, channelId: string, input: SendInput): Promise<Event> {
  const sending = o.client.send(channelId, input);
  sending.catch(() => undefined); // the loser of the race below must not become an unhandled rejection
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CliError(
            "unreachable",
            `the server did not confirm the send within ${SEND_DEADLINE_MS / 1000}s`,
            "it stays queued in this profile and is sent once when it next connects (parley read CHANNEL --follow)",
          ),
        ),
      SEND_DEADLINE_MS,
    );
  });
  try {
    return (await Promise.race([sending, deadline])).event;
  } finally {
    clearTimeout(timer);
  }
}

/** The seq of the caller's own live reaction `emoji` on message `target`, if any. */
async function ownReaction(o: Online, channelId: string, target: number, emoji: string): Promise<number | undefined> {
  const mine = new Map<number, string>();
  let after = target;
  for (let page = 0; page < 20; page++) {
    const r = await o.api.call("listEvents", { params: { channelId }, query: { after, limit: 100 } });
    for (const e of r.events) {
      if (e.senderId !== o.session.userId) continue;
      if (e.kind === "reaction" && e.target === target && (await o.client.decode([e]))[0]!.emoji === emoji) mine.set(e.seq, emoji);
      if (e.kind === "delete" && e.target !== null) mine.delete(e.target);
    }
    if (!r.hasMore || !r.events.length) break;
    after = r.events.at(-1)!.seq;
  }
  return [...mine.keys()].at(-1);
}

const seqArg = (v: string | undefined, what = "SEQ") => int(v?.replace(/^#/, ""), what)!;

/** JSON shape of one message in --json output. */
function messageJson(m: MessageView) {
  return {
    seq: m.seq,
    threadRoot: m.threadRoot,
    sender: m.sender,
    senderId: m.senderId,
    createdAt: m.createdAt,
    text: m.text,
    edited: m.edited,
    deleted: m.deleted,
    reactions: m.reactions,
    files: m.files,
  };
}

/**
 * Decode events (from this device's sealed history cache) and drop those sent
 * before it joined the channel's encryption group, saying so once on stderr.
 */
async function readable(ctx: Ctx, client: ParleyClient, events: Event[]): Promise<Array<{ event: Event; content: ReceivedEvent["content"] }>> {
  const decoded = await client.decode(events);
  const kept = decoded.filter((r) => !beforeJoin(r.content)).map((r) => ({ event: r.raw, content: r.content }));
  if (kept.length !== decoded.length) ctx.out.note(HISTORY_NOTE);
  return kept;
}

/** The newest `limit` messages of a channel with later edits/deletes/reactions applied. */
async function history(api: Online["api"], channelId: string, limit: number): Promise<Event[]> {
  const events: Event[] = [];
  let before: number | undefined;
  // Page back until enough messages (reactions and edits also take room in a page); bounded.
  for (let page = 0; page < 50; page++) {
    const r = await api.call("listEvents", { params: { channelId }, query: { limit: 100, ...(before !== undefined ? { before } : {}) } });
    events.push(...r.events);
    if (!r.hasMore || !r.events.length || events.filter((e) => e.kind === "message").length >= limit) break;
    before = Math.min(...r.events.map((e) => e.seq));
  }
  events.sort((a, b) => a.seq - b.seq);
  return events;
}

export const messageCommands: Command[] = [
  {
    name: ["send"],
    usage: "CHANNEL [TEXT] [--thread SEQ] [--file PATH]",
    summary: "Send a message (CHANNEL by name, or @user for a DM); --thread replies in a thread; --file attaches a file (encrypted on this device)",
    min: 1,
    max: 2,
    options: { thread: { type: "string" }, file: { type: "string" } },
    async run(ctx) {
      const threadRoot = int(str(ctx.opts, "thread")?.replace(/^#/, ""), "--thread");
      const file = str(ctx.opts, "file");
      const text = ctx.args[1];
      if (text === undefined && !file)
        throw new UsageError("missing argument TEXT (usage: parley send CHANNEL TEXT, or parley send CHANNEL --file PATH [TEXT])");
      const { event, ch, sent } = await withClient(
        ctx,
        async (o) => {
          const ch = await resolveChannel(o.client, ctx.args[0]!);
          if (file) {
            const r = await sendFileVia(ctx, o, ch.id, file, { ...(text !== undefined ? { text } : {}), threadRoot: threadRoot ?? null });
            return { ch, event: r.event, sent: r.file };
          }
          return { ch, sent: undefined, event: await sendVia(o, ch.id, { kind: "message", text: text!, ...(threadRoot ? { threadRoot } : {}) }) };
        },
        { sync: true },
      );
      const where = `${ctx.args[0]!.startsWith("@") ? ctx.args[0] : `#${ch.name}`}${threadRoot ? ` in thread #${threadRoot}` : ""}`;
      ctx.out.result(
        { channel: ch.name, channelId: ch.id, seq: event.seq, event, ...(sent ? { file: sent } : {}) },
        sent ? `sent #${event.seq} with ${sent.name} to ${where}` : `sent #${event.seq} to ${where}`,
      );
    },
  },
  {
    name: ["read"],
    usage: "CHANNEL [--limit N] [--follow]",
    summary: "Show recent messages (#seq [time] user: text); --follow streams new ones until Ctrl-C",
    min: 1,
    options: { limit: { type: "string" }, follow: { type: "boolean", short: "f" } },
    async run(ctx) {
      const limit = int(str(ctx.opts, "limit"), "--limit") ?? 50;
      const o = await withClient(
        ctx,
        async ({ api, client }) => {
          const ch = await resolveChannel(client, ctx.args[0]!);
          const [events, dir] = await Promise.all([history(api, ch.id, limit), directory(api)]);
          const messages = foldTimeline(await readable(ctx, client, events), dir.name).slice(-limit);
          return { ch, messages, lastSeq: events.at(-1)?.seq ?? 0 };
        },
        { sync: true },
      );
      if (ctx.opts.follow) {
        // Same line shape as the live items that follow, so a script reads one stream.
        for (const m of o.messages) ctx.out.item({ kind: "message", target: null, emoji: null, ...messageJson(m) }, messageLine(m));
        if (!ctx.out.json) ctx.out.note(`following #${o.ch.name} — Ctrl-C to stop`);
        await follow(ctx, o.ch.id, o.lastSeq);
        return;
      }
      ctx.out.result({ channel: o.ch.name, channelId: o.ch.id, messages: o.messages.map(messageJson) }, () =>
        o.messages.length ? o.messages.map(messageLine) : `no messages in #${o.ch.name} yet`,
      );
    },
  },
  {
    name: ["thread"],
    usage: "CHANNEL SEQ",
    summary: "Show a thread: its root message and the replies",
    min: 2,
    async run(ctx) {
      const rootSeq = seqArg(ctx.args[1]);
      const { ch, messages } = await withClient(
        ctx,
        async ({ api, client }) => {
          const ch = await resolveChannel(client, ctx.args[0]!);
          const [t, dir] = await Promise.all([api.call("getThread", { params: { channelId: ch.id, rootSeq }, query: { limit: 200 } }), directory(api)]);
          const events = [t.root, ...t.events.filter((e) => e.seq !== t.root.seq)].sort((a, b) => a.seq - b.seq);
          return { ch, messages: foldTimeline(await readable(ctx, client, events), dir.name) };
        },
        { sync: true },
      );
      ctx.out.result({ channel: ch.name, rootSeq, messages: messages.map(messageJson) }, () => messages.map(messageLine));
    },
  },
  {
    name: ["react"],
    usage: "CHANNEL SEQ EMOJI [--remove]",
    summary: "React to a message (--remove takes your reaction back)",
    min: 3,
    options: { remove: { type: "boolean" } },
    async run(ctx) {
      const target = seqArg(ctx.args[1]);
      const emoji = ctx.args[2]!;
      if (!emoji.trim() || emoji.length > 64) throw new UsageError("EMOJI must be 1-64 characters");
      const event = await withClient(
        ctx,
        async (o) => {
          const ch = await resolveChannel(o.client, ctx.args[0]!);
          if (!ctx.opts.remove) return sendVia(o, ch.id, { kind: "reaction", emoji, target });
          // Taking a reaction back is deleting the reaction event.
          const mine = await ownReaction(o, ch.id, target, emoji);
          if (mine === undefined) throw new CliError("not_found", `you have not reacted ${emoji} to #${target}`, `see \`parley read ${ctx.args[0]}\``);
          return sendVia(o, ch.id, { kind: "delete", target: mine });
        },
        { sync: true },
      );
      ctx.out.result(
        { seq: event.seq, target, emoji, event },
        `${ctx.opts.remove ? "removed" : "reacted"} ${emoji} ${ctx.opts.remove ? "from" : "to"} #${target}`,
      );
    },
  },
  {
    name: ["edit"],
    usage: "CHANNEL SEQ TEXT",
    summary: "Edit one of your messages",
    min: 3,
    async run(ctx) {
      const target = seqArg(ctx.args[1]);
      const event = await withClient(
        ctx,
        async (o) => sendVia(o, (await resolveChannel(o.client, ctx.args[0]!)).id, { kind: "edit", text: ctx.args[2]!, target }),
        { sync: true },
      );
      ctx.out.result({ seq: event.seq, target, event }, `edited #${target}`);
    },
  },
  {
    name: ["delete"],
    usage: "CHANNEL SEQ",
    summary: "Delete one of your messages",
    min: 2,
    async run(ctx) {
      const target = seqArg(ctx.args[1]);
      const event = await withClient(ctx, async (o) => sendVia(o, (await resolveChannel(o.client, ctx.args[0]!)).id, { kind: "delete", target }), {
        sync: true,
      });
      ctx.out.result({ seq: event.seq, target, event }, `deleted #${target}`);
    },
  },
];
