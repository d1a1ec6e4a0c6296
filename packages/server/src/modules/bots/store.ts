/** SQL of bots' slash commands (migration 0036): metadata only. */
import type { BotCommand, ChannelCommand } from "@parley/protocol";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { BotCommandsTable } from "../../platform/db/bot-tables.ts";

type Q = Db | Tx;

export function toBotCommand(r: BotCommandsTable): BotCommand {
  return { name: r.name, description: r.description, usage: r.usage, updatedAt: Number(r.updated_at) };
}

/** The commands a bot registered, by name. */
export function botCommandRows(q: Q, orgId: string, userId: string): Promise<BotCommandsTable[]> {
  return q.selectFrom("bot_commands").selectAll().where("org_id", "=", orgId).where("user_id", "=", userId).orderBy("name").execute();
}

export async function replaceBotCommands(tx: Tx, orgId: string, userId: string, rows: BotCommandsTable[]): Promise<void> {
  await tx.deleteFrom("bot_commands").where("org_id", "=", orgId).where("user_id", "=", userId).execute();
  if (rows.length) await tx.insertInto("bot_commands").values(rows).execute();
}

/** The commands of the active service accounts that are members of the channel, by name then bot. */
export async function channelBotCommands(q: Q, orgId: string, channelId: string): Promise<ChannelCommand[]> {
  const rows = await q
    .selectFrom("bot_commands as c")
    .innerJoin("channel_members as m", (j) => j.onRef("m.user_id", "=", "c.user_id").on("m.channel_id", "=", channelId))
    .innerJoin("users as u", "u.id", "c.user_id")
    .select(["c.name", "c.description", "c.usage", "c.user_id"])
    .where("c.org_id", "=", orgId)
    .where("u.kind", "=", "service")
    .where("u.deactivated_at", "is", null)
    .orderBy("c.name")
    .orderBy("c.user_id")
    .execute();
  return rows.map((r) => ({ name: r.name, description: r.description, usage: r.usage, source: "bot" as const, botUserId: r.user_id }));
}
