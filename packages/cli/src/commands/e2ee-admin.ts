/**
 * `parley admin e2ee reset`: an operator resets channels' encryption offline, directly
 * on the database (e.g. after a ts-mls upgrade changed encodings: docs/adr/0005). Each
 * channel gets its next MLS group generation and a visible "reset" event; members'
 * devices create the new group when they next sync.
 */
import type { Deps } from "@parley/server";
import { str, type Command } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { openOffline, resolveOrg } from "../offline.ts";
import { SERVER_OPTIONS, serverConfigFromFlags } from "../server-config.ts";

/** The org's channels to reset: one by id, or every unarchived channel that has a group. */
async function targets(deps: Deps, orgId: string, channel: string | undefined): Promise<{ id: string; name: string }[]> {
  if (channel) {
    const row = await deps.db
      .selectFrom("channels")
      .select(["id", "name", "archived_at"])
      .where("org_id", "=", orgId)
      .where("id", "=", channel)
      .executeTakeFirst();
    if (!row) throw new CliError("not_found", `no channel ${channel} in this organisation`, "list channel ids with `parley channels --json`");
    if (row.archived_at !== null) throw new CliError("channel_archived", `channel ${channel} is archived`, "unarchive it first");
    return [row];
  }
  return deps.db
    .selectFrom("channels")
    .innerJoin("mls_groups", "mls_groups.channel_id", "channels.id")
    .select(["channels.id as id", "channels.name as name"])
    .where("channels.org_id", "=", orgId)
    .where("channels.archived_at", "is", null)
    .orderBy("channels.created_at")
    .execute();
}

export const e2eeAdminCommands: Command[] = [
  {
    name: ["admin", "e2ee", "reset"],
    usage: "(--channel ID | --all) [--org SLUG]",
    summary: "Reset channels' encryption (a new MLS group each, with a visible event): after a library upgrade, or for a broken group",
    options: { ...SERVER_OPTIONS, org: { type: "string" }, channel: { type: "string" }, all: { type: "boolean" } },
    async run(ctx) {
      const channel = str(ctx.opts, "channel");
      if (!channel === !ctx.opts.all) throw new UsageError("name one channel with --channel ID, or every channel with --all");
      const db = await openOffline(serverConfigFromFlags(ctx.opts), ctx.env, (name) => ctx.out.note(`migrating database: applied ${name}`));
      const done: { channelId: string; generation: number }[] = [];
      try {
        const org = await resolveOrg(db.deps, str(ctx.opts, "org"));
        const list = await targets(db.deps, org.id, channel);
        for (const [i, c] of list.entries()) {
          const r = await db.server.applyReset(db.deps, {
            orgId: org.id,
            channelId: c.id,
            reason: "operator",
            by: null,
            deviceId: null,
            cooldown: false,
            actor: org.actor,
          });
          done.push({ channelId: c.id, generation: r.generation });
          ctx.out.note(`reset ${i + 1}/${list.length}: ${c.name || c.id} (generation ${r.generation})`);
        }
      } finally {
        await db.close();
      }
      ctx.out.result(
        { reset: done },
        done.length
          ? `${done.length} channel(s) reset; members' devices create the new groups when they next sync`
          : "no channel has an MLS group yet: nothing to reset",
      );
    },
  },
];
