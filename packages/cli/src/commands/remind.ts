/**
 * `parley remind list|add|cancel`: the user's reminders (issue 13, `/remind`). The server keeps
 * when each is due; the text is sealed in the personal store (ADR 0009), so this device opens it
 * with the user's key locker. `add` reads the time like the web app's `/remind`, in the profile's
 * time zone (else this machine's).
 */
import { parseReminder, type ReminderView } from "@parley/sdk";
import type { Command } from "../command.ts";
import { withClient } from "../session.ts";

function line(r: ReminderView): string {
  const where = r.target ? ` (about message #${r.target.seq})` : "";
  const text = r.text ?? "(reminder not available on this device)";
  return `${r.id}  ${r.state === "fired" ? "DUE " : "    "}${new Date(r.dueAt).toISOString()}  ${text}${where}`;
}

export const remindCommands: Command[] = [
  {
    name: ["remind", "list"],
    usage: "",
    summary: "Your reminders, soonest first: pending ones and fired ones not yet done (text opened on this device)",
    async run(ctx) {
      const reminders = await withClient(ctx, ({ client }) => client.reminders.list());
      ctx.out.result({ reminders }, () => (reminders.length ? reminders.map(line) : "no reminders"));
    },
  },
  {
    name: ["remind", "add"],
    usage: "WHEN TEXT…",
    summary: "Set a reminder: parley remind add in 20 minutes check the build (tomorrow [at 9am], at 15:30, on 2026-12-24 [at 9:00], next week)",
    min: 1,
    max: 100,
    async run(ctx) {
      const r = await withClient(ctx, async ({ api, client }) => {
        const { user } = await api.call("me");
        const timeZone = user.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
        return client.reminders.create(parseReminder(ctx.args.join(" "), { now: Date.now(), timeZone }));
      });
      ctx.out.result({ reminder: r }, `Reminder ${r.id} set for ${new Date(r.dueAt).toISOString()}.`);
    },
  },
  {
    name: ["remind", "cancel"],
    usage: "ID",
    summary: "Cancel a pending reminder, or dismiss a fired one (Done)",
    min: 1,
    async run(ctx) {
      const id = ctx.args[0]!;
      await withClient(ctx, async ({ api, client }) => {
        // The server's answer first: an unknown id is `not_found`, not a silent success.
        await api.call("deleteReminder", { params: { id } });
        await client.personal.deleteReminderNote(id);
      });
      ctx.out.result({ id, cancelled: true }, `Reminder ${id} cancelled.`);
    },
  },
];
