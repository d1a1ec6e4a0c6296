/**
 * Slash commands (issue 13). Bots (service accounts) register the commands they answer —
 * metadata only: name, description, usage — and a channel's members list the commands of
 * the bots in that channel plus the built-in ones, for the composer's autocomplete.
 * Invoking a command is an ordinary end-to-end encrypted message whose content carries
 * `command: { name, args }` (see the SDK's slash-command helpers): the server never sees
 * which command was run or its arguments. Part of the route table in routes.ts.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id, Timestamp } from "./models.ts";

/** Most commands one bot registers. */
export const MAX_BOT_COMMANDS = 50;

/** A command's name as typed after the slash: lower-case letters, digits, `-` and `_`, 1–32 characters. */
export const SlashCommandName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "lower-case letters, digits, - and _ (at most 32), not starting with - or _");

/** What a bot registers for one command (never message content). */
export const SlashCommandSpec = z.object({
  name: SlashCommandName,
  /** One line shown in the autocomplete list. */
  description: z.string().trim().min(1).max(200),
  /** The arguments, e.g. `<title> [priority]` (may be empty). */
  usage: z.string().trim().max(200).default(""),
});
/** What a bot registers for one command. */
export type SlashCommandSpec = z.infer<typeof SlashCommandSpec>;

/** A command one can run in a channel: a built-in one, or one of a bot that is a member. */
export const ChannelCommand = z.object({
  name: SlashCommandName,
  description: z.string(),
  usage: z.string(),
  /** "builtin": handled by the clients themselves; "bot": answered by the bot `botUserId`. */
  source: z.enum(["builtin", "bot"]),
  /** The bot that answers it (null for built-ins). */
  botUserId: Id.nullable(),
});
/** A command one can run in a channel. */
export type ChannelCommand = z.infer<typeof ChannelCommand>;

/** One command a bot registered, as stored. */
export const BotCommand = z.object({
  name: SlashCommandName,
  description: z.string(),
  usage: z.string(),
  updatedAt: Timestamp,
});
/** One command a bot registered. */
export type BotCommand = z.infer<typeof BotCommand>;

/**
 * The built-in commands every channel lists, handled by the clients themselves (not by a bot).
 * Data only: a built-in (such as /remind or /poll) is added here with its name, description and
 * usage, and the channel command list and the composer's autocomplete show it.
 */
export const BUILTIN_COMMANDS: readonly SlashCommandSpec[] = [
  {
    name: "poll",
    description: "Start a poll; members vote with reactions, all of it end-to-end encrypted",
    usage: '"Question" "Option 1" "Option 2" (or Question | Option 1 | Option 2; --multiple to pick several)',
  },
  {
    name: "remind",
    description: "Remind yourself later; the text is end-to-end encrypted, the server only knows when",
    usage: "me in 20 minutes | in 2 hours | tomorrow at 9am | at 15:30 | on 2026-12-24 at 9:00 <text>",
  },
];

const ChannelParams = z.object({ channelId: Id });

/** Slash command routes. */
export const commandRoutes = {
  setBotCommands: route({
    method: "PUT",
    path: "/me/bot-commands",
    tag: "bots",
    auth: "user",
    summary:
      "Replace the commands this bot answers (service accounts only; names unique; at most MAX_BOT_COMMANDS). Metadata only: the invocations travel MLS-encrypted",
    body: z.object({
      commands: z
        .array(SlashCommandSpec)
        .max(MAX_BOT_COMMANDS)
        .refine((list) => new Set(list.map((c) => c.name)).size === list.length, "command names must be unique"),
    }),
    response: z.object({ commands: z.array(BotCommand) }),
    errors: ["forbidden"],
  }),
  listBotCommands: route({
    method: "GET",
    path: "/me/bot-commands",
    tag: "bots",
    auth: "user",
    summary: "The commands this bot registered (service accounts; empty for people)",
    response: z.object({ commands: z.array(BotCommand) }),
  }),
  listChannelCommands: route({
    method: "GET",
    path: "/channels/:channelId/commands",
    tag: "channels",
    auth: "user",
    summary: "The slash commands one can run in a channel: the built-in ones and those of the bots that are members, by name",
    params: ChannelParams,
    response: z.object({ commands: z.array(ChannelCommand) }),
  }),
} as const;
