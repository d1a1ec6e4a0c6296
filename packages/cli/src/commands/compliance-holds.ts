/**
 * `parley compliance retention ...` and `parley compliance holds ...`: the org's retention
 * policy and legal holds (docs/compliance.md), for owners and compliance officers (a custom
 * role with org.manage_compliance).
 */
import type { LegalHold, OrgRetention } from "@parley/protocol";
import type { Api } from "@parley/sdk/node";
import { required, str, type Command, type Opts } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { table } from "../render.ts";
import { directory, withClient } from "../session.ts";
import { orgChannel } from "./policies.ts";

/** `--events 30d|forever` style: days (a bare number or with a trailing d) or "forever". */
function days(opts: Opts, key: string): number | null | undefined {
  const v = str(opts, key);
  if (v === undefined) return undefined;
  if (v === "forever") return null;
  const m = /^(\d{1,5})d?$/.exec(v);
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 1 && n <= 36_500)) throw new UsageError(`--${key} takes a number of days (1-36500, e.g. 30 or 30d) or "forever", got '${v}'`);
  return n;
}

const show = (d: number | null) => (d === null ? "forever" : `${d} days`);

const holdLine = (h: LegalHold) => [
  h.id,
  h.matter,
  h.scope === "channel" ? `#${h.targetName}` : h.targetName,
  new Date(h.createdAt).toISOString().slice(0, 10),
  h.releasedAt === null ? "active" : `released ${new Date(h.releasedAt).toISOString().slice(0, 10)}`,
];

async function holdsOf(api: Api, status: "active" | "released" | "all"): Promise<LegalHold[]> {
  return (await api.call("listHolds", { query: { status } })).holds;
}

export const complianceHoldCommands: Command[] = [
  {
    name: ["compliance", "retention"],
    usage: "",
    summary: "The org's retention policy, channel overrides and the last run (owners, compliance officers)",
    details: `Change it with \`parley compliance retention set\` and, per channel, \`parley compliance retention channel\`;
\`parley compliance retention run\` applies it now instead of at the next scheduled run (hourly unless PARLEY_RETENTION_EVERY_MINUTES says otherwise).`,
    async run(ctx) {
      const r = await withClient(ctx, ({ api }) => api.call("getRetention"));
      ctx.out.result(r, () => [
        `Events: ${show(r.org.eventsDays)}; attachments: ${show(r.org.filesDays)}; audit entries: ${show(r.org.auditDays)}`,
        r.channels.length
          ? table(r.channels.map((c) => [`#${c.channelName}`, `events ${show(c.eventsDays)}`, `attachments ${show(c.filesDays)}`]))
          : "No channel overrides.",
        r.lastRun
          ? `Last run ${new Date(r.lastRun.startedAt).toISOString()}${r.lastRun.finishedAt ? "" : " (not finished: running or interrupted; the next run resumes)"}: ${r.lastRun.eventsDeleted} events and ${r.lastRun.filesDeleted} attachments removed, ${r.lastRun.eventsHeld} events kept for legal holds, ${r.lastRun.auditDeleted} audit entries pruned.`
          : "No retention run yet.",
      ]);
    },
  },
  {
    name: ["compliance", "retention", "set"],
    usage: "[--events D] [--files D] [--audit D]",
    summary: "Set how long the org keeps events, attachments and audit entries",
    details: `Each period is a number of days (30 or 30d) or "forever"; a flag left out keeps its current value.
Audit entries are pruned down to a signed checkpoint, which is kept so the rest still verifies.`,
    options: { events: { type: "string" }, files: { type: "string" }, audit: { type: "string" } },
    async run(ctx) {
      const change = { eventsDays: days(ctx.opts, "events"), filesDays: days(ctx.opts, "files"), auditDays: days(ctx.opts, "audit") };
      if (Object.values(change).every((v) => v === undefined)) throw new UsageError("nothing to change: pass --events, --files or --audit");
      const r = await withClient(ctx, async ({ api }) => {
        const { org } = await api.call("getRetention");
        const body: OrgRetention = {
          eventsDays: change.eventsDays === undefined ? org.eventsDays : change.eventsDays,
          filesDays: change.filesDays === undefined ? org.filesDays : change.filesDays,
          auditDays: change.auditDays === undefined ? org.auditDays : change.auditDays,
        };
        return api.call("setRetention", { body });
      });
      ctx.out.result(r, `Retention: events ${show(r.eventsDays)}, attachments ${show(r.filesDays)}, audit entries ${show(r.auditDays)}.`);
    },
  },
  {
    name: ["compliance", "retention", "channel"],
    usage: "CHANNEL (--events D --files D | --clear)",
    summary: "Give a channel its own retention, or let it follow the org's again",
    min: 1,
    options: { events: { type: "string" }, files: { type: "string" }, clear: { type: "boolean" } },
    async run(ctx) {
      const clear = ctx.opts.clear === true;
      const eventsDays = days(ctx.opts, "events");
      const filesDays = days(ctx.opts, "files");
      if (clear && (eventsDays !== undefined || filesDays !== undefined)) throw new UsageError("pass --clear alone, or --events and --files");
      if (!clear && (eventsDays === undefined || filesDays === undefined)) throw new UsageError("pass both --events and --files (days or forever), or --clear");
      const r = await withClient(ctx, async ({ client, api }) => {
        const ch = await orgChannel(client, ctx.args[0]!);
        if (clear) {
          await api.call("clearChannelRetention", { params: { channelId: ch.id } });
          return { channelId: ch.id, channelName: ch.name, cleared: true };
        }
        return api.call("setChannelRetention", { params: { channelId: ch.id }, body: { eventsDays: eventsDays!, filesDays: filesDays! } });
      });
      ctx.out.result(
        r,
        "cleared" in r
          ? `#${r.channelName} follows the org's retention again.`
          : `#${r.channelName}: events ${show(r.eventsDays)}, attachments ${show(r.filesDays)}.`,
      );
    },
  },
  {
    name: ["compliance", "retention", "run"],
    usage: "",
    summary: "Apply the org's retention now (a durable job on the server)",
    async run(ctx) {
      const r = await withClient(ctx, ({ api }) => api.call("runRetention"));
      ctx.out.result(r, `Retention run queued (job ${r.jobId}); see its outcome with \`parley compliance retention\`.`);
    },
  },
  {
    name: ["compliance", "holds"],
    usage: "[--released | --all]",
    summary: "The org's legal holds (active ones unless told otherwise)",
    options: { released: { type: "boolean" }, all: { type: "boolean" } },
    async run(ctx) {
      const status = ctx.opts.all === true ? "all" : ctx.opts.released === true ? "released" : "active";
      const holds = await withClient(ctx, ({ api }) => holdsOf(api, status));
      ctx.out.result({ holds }, holds.length ? table(holds.map(holdLine)) : `No ${status === "all" ? "" : `${status} `}legal holds.`);
    },
  },
  {
    name: ["compliance", "hold"],
    usage: "USERNAME|#CHANNEL --matter M [--note N]",
    summary: "Place a legal hold on a user or a channel: what it covers outlives retention and deletion",
    details: `A held user keeps every channel they are a member of, the messages they sent anywhere and their
attachments; a held channel keeps its whole timeline. Name a channel with a leading #.`,
    min: 1,
    options: { matter: { type: "string" }, note: { type: "string" } },
    async run(ctx) {
      const matter = required(ctx.opts, "matter", "compliance hold USERNAME|#CHANNEL --matter M");
      const ref = ctx.args[0]!;
      const hold = await withClient(ctx, async ({ client, api }) => {
        const target = ref.startsWith("#")
          ? { scope: "channel" as const, targetId: (await orgChannel(client, ref)).id }
          : { scope: "user" as const, targetId: (await directory(api)).byName(ref).id };
        return api.call("createHold", { body: { matter, ...target, note: str(ctx.opts, "note") ?? "" } });
      });
      ctx.out.result({ hold }, `Placed hold ${hold.id} on ${hold.scope === "channel" ? "#" : ""}${hold.targetName} for "${hold.matter}".`);
    },
  },
  {
    name: ["compliance", "release"],
    usage: "HOLD_ID [--note N]",
    summary: "Release a legal hold (what it alone kept goes at the next retention run)",
    min: 1,
    options: { note: { type: "string" } },
    async run(ctx) {
      const id = ctx.args[0]!;
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new UsageError(`'${id}' is not a hold id (list them with \`parley compliance holds\`)`);
      const hold = await withClient(ctx, async ({ api }) => {
        const known = await holdsOf(api, "all");
        if (!known.some((h) => h.id === id))
          throw new CliError("not_found", `no legal hold ${id} in this organisation`, "list them with `parley compliance holds --all`");
        return api.call("releaseHold", { params: { holdId: id }, body: { note: str(ctx.opts, "note") ?? "" } });
      });
      ctx.out.result({ hold }, `Released hold ${hold.id} ("${hold.matter}").`);
    },
  },
];
