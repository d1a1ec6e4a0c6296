/**
 * `parley notify ...`: the signed-in user's notification settings — the default level, a
 * channel's override, a snooze, the do-not-disturb schedule and mention email. The same
 * settings as the web app's Profile → Notifications; all but `channel` run over plain REST.
 */
import { ChannelNotifyLevel, NotifyLevel, type DndWindow, type NotificationSettings } from "@parley/protocol";
import type { Api } from "@parley/sdk/node";
import { int, str, type Command, type Ctx } from "../command.ts";
import { UsageError } from "../errors.ts";
import { when } from "../render.ts";
import { resolveChannel, withAccount, withClient } from "../session.ts";

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;

/** "90m", "2h", "1d12h": a duration in ms. */
function durationArg(value: string, usage: string): number {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/.exec(value.trim());
  const ms = m ? (Number(m[1] ?? 0) * 24 * 60 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 60_000 : 0;
  if (!m || ms <= 0) throw new UsageError(`'${value}' is not a duration such as 30m, 2h or 1d (usage: ${usage})`);
  return ms;
}

/** "22:00-07:00" on some days (default every day): the do-not-disturb windows. */
function dndArg(range: string, days: string | undefined, usage: string): DndWindow[] {
  const m = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(range);
  const minute = (h: string, mm: string) => {
    const v = Number(h) * 60 + Number(mm);
    if (Number(h) > 23 || Number(mm) > 59) throw new UsageError(`'${range}' is not a time range such as 22:00-07:00 (usage: ${usage})`);
    return v;
  };
  if (!m) throw new UsageError(`'${range}' is not a time range such as 22:00-07:00 (usage: ${usage})`);
  const [start, end] = [minute(m[1]!, m[2]!), minute(m[3]!, m[4]!)];
  const picked = (days ?? DAYS.join(",")).split(",").map((d) => d.trim().toLowerCase().slice(0, 3));
  const bad = picked.find((d) => !DAYS.includes(d));
  if (bad !== undefined) throw new UsageError(`--days takes day names such as mon,tue,wed, got '${bad}' (usage: ${usage})`);
  return [...new Set(picked)].map((d) => ({ day: DAYS.indexOf(d), start, end }));
}

/** The settings as lines of text (channel overrides by channel name where known). */
function settingsLines(s: NotificationSettings, names: Map<string, string>, now: number): string[] {
  const byWindow = new Map<string, number[]>();
  for (const w of s.dndSchedule) byWindow.set(`${hhmm(w.start)}-${hhmm(w.end)}`, [...(byWindow.get(`${hhmm(w.start)}-${hhmm(w.end)}`) ?? []), w.day]);
  const dnd = [...byWindow].map(([range, days]) => `${range} ${days.length === 7 ? "every day" : days.map((d) => DAYS[d]).join(",")}`);
  return [
    `level:          ${s.level}`,
    `do not disturb: ${dnd.length ? `${dnd.join("; ")} (${s.timeZone})` : "off"}`,
    `snoozed:        ${s.snoozeUntil !== null && s.snoozeUntil > now ? `until ${when(s.snoozeUntil)}` : "no"}`,
    `mention email:  ${s.email.enabled ? `on, after ${s.email.delayMinutes} min away` : "off"}`,
    ...(s.channels.length ? ["channels:", ...s.channels.map((c) => `  #${names.get(c.channelId) ?? c.channelId}  ${c.level}`)] : []),
  ];
}

/** Change the settings over REST and print the result. */
async function update(ctx: Ctx, body: Record<string, unknown>, done: string): Promise<void> {
  const s = await withAccount(ctx, ({ api }) => api.call("updateNotificationSettings", { body }));
  ctx.out.result(s, done);
}

async function channelNames(api: Api): Promise<Map<string, string>> {
  const { channels } = await api.call("listChannels");
  return new Map(channels.map((c) => [c.id, c.name]));
}

const choice = <T extends string>(value: string, allowed: readonly T[], what: string, usage: string): T => {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${what} must be one of ${allowed.join(", ")}, got '${value}' (usage: ${usage})`);
  return value as T;
};

export const notifyCommands: Command[] = [
  {
    name: ["notify", "show"],
    usage: "",
    summary: "Your notification settings: level, do-not-disturb, snooze, mention email, channel overrides",
    async run(ctx) {
      const { s, names } = await withAccount(ctx, async ({ api }) => {
        const [s, names] = await Promise.all([api.call("getNotificationSettings"), channelNames(api)]);
        return { s, names };
      });
      ctx.out.result(s, () => settingsLines(s, names, Date.now()));
    },
  },
  {
    name: ["notify", "level"],
    usage: "all|mentions|nothing",
    summary: "What you are notified of by default (mentions: mentions and direct messages)",
    min: 1,
    async run(ctx) {
      const level = choice(ctx.args[0]!, NotifyLevel.options, "the level", "parley notify level all|mentions|nothing");
      await update(
        ctx,
        { level },
        `You are notified of ${level === "all" ? "every new message" : level === "mentions" ? "mentions and direct messages" : "nothing"}.`,
      );
    },
  },
  {
    name: ["notify", "channel"],
    usage: "CHANNEL all|mentions|nothing|muted|default",
    summary: "How one channel notifies you (default: as your level says)",
    min: 2,
    async run(ctx) {
      const usage = "parley notify channel CHANNEL all|mentions|nothing|muted|default";
      const level = choice(ctx.args[1]!, ChannelNotifyLevel.options, "the channel's level", usage);
      const { ch, s } = await withClient(ctx, async ({ api, client }) => {
        const ch = await resolveChannel(client, ctx.args[0]!);
        return { ch, s: await api.call("setChannelNotifications", { params: { channelId: ch.id }, body: { level } }) };
      });
      ctx.out.result(s, level === "default" ? `#${ch.name} notifies you as your level says.` : `#${ch.name}: ${level}.`);
    },
  },
  {
    name: ["notify", "snooze"],
    usage: "DURATION|off",
    summary: "No notifications for a while (30m, 2h, 1d), or end the snooze",
    min: 1,
    async run(ctx) {
      const arg = ctx.args[0]!;
      const until = arg === "off" ? null : Date.now() + durationArg(arg, "parley notify snooze DURATION|off");
      await update(ctx, { snoozeUntil: until }, until === null ? "Snooze ended." : `Snoozed until ${when(until)}.`);
    },
  },
  {
    name: ["notify", "dnd"],
    usage: "HH:MM-HH:MM|off [--days mon,tue,...] [--time-zone TZ]",
    summary: "Do-not-disturb hours (an end before the start runs past midnight), on some days or every day",
    details: "Example: parley notify dnd 22:00-07:00 --days mon,tue,wed,thu,fri --time-zone Europe/Berlin\nThe time zone defaults to this computer's.",
    options: { days: { type: "string" }, "time-zone": { type: "string" } },
    min: 1,
    async run(ctx) {
      const usage = "parley notify dnd HH:MM-HH:MM|off [--days mon,tue,...] [--time-zone TZ]";
      const off = ctx.args[0] === "off";
      if (off && (str(ctx.opts, "days") !== undefined || str(ctx.opts, "time-zone") !== undefined))
        throw new UsageError(`'off' takes no --days or --time-zone (usage: ${usage})`);
      const dndSchedule = off ? [] : dndArg(ctx.args[0]!, str(ctx.opts, "days"), usage);
      const timeZone = str(ctx.opts, "time-zone") ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
      await update(
        ctx,
        off ? { dndSchedule } : { dndSchedule, timeZone },
        off ? "Do-not-disturb hours removed." : `Do not disturb ${ctx.args[0]} (${timeZone}).`,
      );
    },
  },
  {
    name: ["notify", "email"],
    usage: "on|off [--delay MINUTES]",
    summary: "Email about unread mentions after MINUTES away (channel names and counts, never content)",
    options: { delay: { type: "string" } },
    min: 1,
    async run(ctx) {
      const usage = "parley notify email on|off [--delay MINUTES]";
      const enabled = choice(ctx.args[0]!, ["on", "off"] as const, "email", usage) === "on";
      const delay = int(str(ctx.opts, "delay"), "--delay");
      if (delay !== undefined && delay > 1440) throw new UsageError(`--delay is at most 1440 minutes (usage: ${usage})`);
      const s = await withAccount(ctx, ({ api }) =>
        api.call("updateNotificationSettings", { body: { email: { enabled, ...(delay !== undefined ? { delayMinutes: delay } : {}) } } }),
      );
      ctx.out.result(s, s.email.enabled ? `Mention email on: after ${s.email.delayMinutes} minutes away.` : "Mention email off.");
    },
  },
];
