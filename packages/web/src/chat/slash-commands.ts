/**
 * Slash commands in the composer (issue 13, docs/bots.md): matching the channel's commands
 * (built-ins and those of the bots that are members, from listChannelCommands; see
 * use-channel-commands.ts) for the autocomplete, and which command a typed text runs. Running one sends an ordinary encrypted message whose
 * content marks it as a command (the SDK's slashCommandContent): the server never sees it.
 */
import type { ChannelCommand } from "@parley/protocol";
import { parseSlashCommand } from "@parley/sdk";

/** The command name being typed (text starts with `/`, caret still in the first word), or undefined. */
export function commandQueryAt(text: string, caret: number): { query: string } | undefined {
  const m = /^\/([a-z0-9_-]*)$/i.exec(text.slice(0, caret));
  if (!m || /\s/.test(text.slice(0, caret))) return undefined;
  return { query: m[1]!.toLowerCase() };
}

/** Commands whose name starts with `query`, built-ins first as listed. */
export function matchCommands(commands: readonly ChannelCommand[], query: string, limit = 8): ChannelCommand[] {
  return commands.filter((c) => c.name.startsWith(query)).slice(0, limit);
}

/**
 * What `text` runs when sent: the command picked in the autocomplete when its name is the one
 * typed, else the first of the channel's commands with that name; undefined when the text is
 * not a known command (then it is sent as plain text). `bot` is the bot meant to answer.
 */
export function commandFor(text: string, commands: readonly ChannelCommand[], picked?: ChannelCommand): { bot?: string } | undefined {
  const parsed = parseSlashCommand(text);
  if (!parsed) return undefined;
  const c = picked?.name === parsed.name ? picked : commands.find((x) => x.name === parsed.name);
  if (!c) return undefined;
  return c.botUserId ? { bot: c.botUserId } : {};
}
