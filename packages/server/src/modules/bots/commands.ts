/**
 * Slash commands of bots (issue 13, docs/bots.md). A bot (a service account) registers the
 * commands it answers when it starts — name, description and usage, never content — and a
 * channel's readers list the commands of the bots that are members plus the built-in ones.
 * Running a command is an MLS-encrypted message the server cannot read.
 */
import { BUILTIN_COMMANDS, type BotCommand, type ChannelCommand, type SlashCommandSpec } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { channelFor } from "../channels/access.ts";
import { getUserInOrg } from "../accounts/store.ts";
import { botCommandRows, channelBotCommands, replaceBotCommands, toBotCommand } from "./store.ts";

/** The commands the calling bot registered (none for people). */
export async function listBotCommands(deps: Deps, p: DeviceActor): Promise<BotCommand[]> {
  return (await botCommandRows(deps.db, p.orgId, p.userId)).map(toBotCommand);
}

/** Names added, removed and changed between two command sets (empty when equal). */
function diff(before: BotCommand[], after: SlashCommandSpec[]) {
  const old = new Map(before.map((c) => [c.name, c]));
  const now = new Set(after.map((c) => c.name));
  return {
    added: after.filter((c) => !old.has(c.name)).map((c) => c.name),
    removed: before.filter((c) => !now.has(c.name)).map((c) => c.name),
    changed: after.filter((c) => old.has(c.name) && (old.get(c.name)!.description !== c.description || old.get(c.name)!.usage !== c.usage)).map((c) => c.name),
  };
}

/**
 * Replace the calling bot's commands. Only service accounts answer commands: a person's
 * session gets `forbidden`, nothing written. The same set again writes nothing and audits nothing.
 */
export async function setBotCommands(deps: Deps, p: DeviceActor, commands: SlashCommandSpec[]): Promise<BotCommand[]> {
  return runCommand(deps, p, "bots.setCommands", async (tx, fx) => {
    const me = await getUserInOrg(tx, p.orgId, p.userId);
    if (me?.kind !== "service") throw new AppError("forbidden", "only bots (service accounts) register slash commands");
    const before = (await botCommandRows(tx, p.orgId, p.userId)).map(toBotCommand);
    const changes = diff(before, commands);
    if (!changes.added.length && !changes.removed.length && !changes.changed.length) return before;
    const now = deps.now();
    const keep = new Map(before.map((c) => [c.name, c]));
    const rows = commands.map((c) => ({
      user_id: p.userId,
      org_id: p.orgId,
      name: c.name,
      description: c.description,
      usage: c.usage,
      // An unchanged command keeps its time: updatedAt says when that command last changed.
      updated_at: changes.added.includes(c.name) || changes.changed.includes(c.name) ? now : keep.get(c.name)!.updatedAt,
    }));
    await replaceBotCommands(tx, p.orgId, p.userId, rows);
    fx.audit({ action: "bot.commands.changed", target: { kind: "user", id: p.userId }, result: "success", details: { ...changes, count: rows.length } });
    return rows.sort((a, b) => a.name.localeCompare(b.name)).map(toBotCommand);
  });
}

/**
 * The commands one can run in a channel (anyone who may read it): `builtins` first, then the
 * commands of the bots that are members, by name. Another org's channel is not found.
 */
export async function listChannelCommands(
  deps: Deps,
  p: DeviceActor,
  channelId: string,
  builtins: readonly SlashCommandSpec[] = BUILTIN_COMMANDS,
): Promise<ChannelCommand[]> {
  await channelFor(deps.db, p, channelId, "channel.read");
  const own = builtins.map((c) => ({ name: c.name, description: c.description, usage: c.usage, source: "builtin" as const, botUserId: null }));
  return [...own.sort((a, b) => a.name.localeCompare(b.name)), ...(await channelBotCommands(deps.db, p.orgId, channelId))];
}
