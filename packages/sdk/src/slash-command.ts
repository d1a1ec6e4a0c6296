/**
 * Slash commands in message content (issue 13). Running `/ticket Printer on fire` sends an
 * ordinary MLS-encrypted message whose content carries, next to the text, `command: { name,
 * args }` (and the bot it is meant for, when the composer knew it): the server sees ciphertext
 * only, never which command ran or its arguments. A bot reads `command` from the decrypted
 * content; clients that know nothing of commands still show the text.
 */
import type { MessageContent } from "./codec.ts";

/** A slash command as it travels inside a message's encrypted content. */
export interface SlashCommandInvocation {
  /** The command's name, without the slash, lower-case. */
  name: string;
  /** Everything after the name, trimmed (may be empty). */
  args: string;
  /** The bot (user id) the command is meant for, when the sender picked one; absent: any bot that answers `name`. */
  bot?: string;
}

const COMMAND = /^\/([a-z0-9][a-z0-9_-]{0,31})(?:\s+([\s\S]*))?$/i;

/** The command of a text typed as `/name args` (name lower-cased), or undefined when it is not one. */
export function parseSlashCommand(text: string): SlashCommandInvocation | undefined {
  const m = COMMAND.exec(text.trim());
  if (!m) return undefined;
  return { name: m[1]!.toLowerCase(), args: (m[2] ?? "").trim() };
}

/** The content of a message that runs `text` (a `/name args` line) as a command, for `client.send`; undefined when `text` is not a command. */
export function slashCommandContent(text: string, bot?: string): (MessageContent & { command: SlashCommandInvocation }) | undefined {
  const command = parseSlashCommand(text);
  if (!command) return undefined;
  return { text: text.trim(), command: bot ? { ...command, bot } : command };
}

/** The command a decrypted message carries, or undefined (content from others is checked, never trusted as typed). */
export function commandOf(content: MessageContent): SlashCommandInvocation | undefined {
  const c = content.command as Record<string, unknown> | undefined;
  if (!c || typeof c !== "object" || typeof c.name !== "string" || typeof c.args !== "string") return undefined;
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(c.name)) return undefined;
  return { name: c.name, args: c.args, ...(typeof c.bot === "string" ? { bot: c.bot } : {}) };
}
