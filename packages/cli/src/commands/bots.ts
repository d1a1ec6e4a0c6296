/**
 * `parley bot create|run|provision` (issue 13): bots are service accounts with their own device
 * and MLS keys (packages/bot). `create` makes the account and its key (admins); `run FILE` hosts
 * the bot a module sets up, until Ctrl-C or SIGTERM; `provision` gives a bot whose state
 * directory lost its keys a new device and revokes the old one.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { BotKeysLostError, provisionBot, startBot, type Bot, type BotCredentials } from "@parley/bot";
import { str, type Command, type Ctx } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { withClient } from "../session.ts";

const BOT_FLAGS = `Flags:
  --server URL      the Parley server (default: PARLEY_SERVER)
  --state-dir DIR   where the bot keeps its device keys, session and state (default:
                    PARLEY_BOT_STATE_DIR, else ./.parley-bot). Keep it: the keys cannot be
                    recovered from the server.
The bot's API key comes from PARLEY_API_KEY (never a flag: flags end up in shell history).`;

const BOT_OPTIONS = { server: { type: "string" }, "state-dir": { type: "string" } } as const;

/** Server, key and state directory of the bot, from flags and the environment. */
function credentials(ctx: Ctx): BotCredentials {
  const server = str(ctx.opts, "server") ?? ctx.env.PARLEY_SERVER;
  if (!server) throw new UsageError("no server: pass --server URL or set PARLEY_SERVER");
  const apiKey = ctx.env.PARLEY_API_KEY;
  if (!apiKey) throw new CliError("usage", "PARLEY_API_KEY is not set", "create the bot's key with `parley bot create NAME` and export it as PARLEY_API_KEY");
  const stateDir = path.resolve(str(ctx.opts, "state-dir") ?? ctx.env.PARLEY_BOT_STATE_DIR ?? ".parley-bot");
  return { server, apiKey, stateDir, deviceName: "parley bot run" };
}

/** Lost keys become a CLI error with the command that fixes it. */
function lostKeys(err: unknown): never {
  if (err instanceof BotKeysLostError) throw new CliError(err.code, err.message.split(". ")[0]!, `run \`parley bot provision --state-dir ${err.stateDir}\``);
  throw err;
}

/** The default export of the bot module: a function that sets the bot up. */
async function loadSetup(file: string): Promise<(bot: Bot) => unknown> {
  const abs = path.resolve(file);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (err) {
    throw new CliError(
      "bad_bot_module",
      `cannot load ${abs}: ${(err as Error).message}`,
      "FILE is a JavaScript/TypeScript module whose default export is `(bot) => { ... }`",
    );
  }
  if (typeof mod.default !== "function")
    throw new CliError("bad_bot_module", `${abs} has no default export function`, "export default function setup(bot) { bot.command(...) }");
  return mod.default as (bot: Bot) => unknown;
}

export const botCommands: Command[] = [
  {
    name: ["bot", "create"],
    usage: "USERNAME [--display-name NAME] [--expires 90d]",
    summary: "Create a bot (admins): a service account and its API key (read, write), printed once",
    details: `Flags:
  --display-name NAME   how the bot shows in the org (default: USERNAME)
  --expires D           days until the key stops working: 1 to 365 (default 90)

Then run it: PARLEY_API_KEY=… parley bot run bot.ts --server URL
and add it to a channel like any member.`,
    min: 1,
    options: { "display-name": { type: "string" }, expires: { type: "string" } },
    async run(ctx) {
      const username = ctx.args[0]!.replace(/^@/, "");
      const days = Number((str(ctx.opts, "expires") ?? "90").replace(/d$/, ""));
      if (!Number.isInteger(days) || days < 1 || days > 365) throw new UsageError("--expires must be 1 to 365 days, e.g. 30d");
      const r = await withClient(ctx, async ({ api, session }) => {
        const user = await api.call("createServiceAccount", { body: { username, displayName: str(ctx.opts, "display-name") ?? username, role: "member" } });
        const created = await api.call("createServiceAccountKey", {
          params: { id: user.id },
          body: { name: "bot", scopes: ["read", "write"], expiresInDays: days },
        });
        return { user, created, server: session.baseUrl };
      });
      ctx.out.result({ user: r.user, key: r.created.key, apiKey: r.created.apiKey }, [
        `Created bot ${r.user.username} (${r.user.id}). Its API key, shown once — store it now:`,
        `  ${r.created.key}`,
        `Run it: PARLEY_API_KEY=… parley bot run bot.ts --server ${r.server} --state-dir DIR`,
        "Then add it to a channel like any member (it reads only what is sent after it joins).",
      ]);
    },
  },
  {
    name: ["bot", "run"],
    usage: "FILE [--server URL] [--state-dir DIR]",
    summary: "Run a bot: FILE's default export sets it up (commands, message handlers); stops cleanly on Ctrl-C or SIGTERM",
    details: `${BOT_FLAGS}

FILE, e.g. bot.ts:
  export default function setup(bot) {
    bot.command("ticket", { description: "Open a ticket", usage: "<title>" }, (ctx) => ctx.reply(\`Opened: \${ctx.args}\`));
  }`,
    min: 1,
    options: BOT_OPTIONS,
    async run(ctx) {
      const setup = await loadSetup(ctx.args[0]!);
      const creds = credentials(ctx);
      ctx.out.note(`starting the bot (state in ${creds.stateDir})`);
      const bot = await startBot({ ...creds, log: (line) => ctx.out.note(line) }).catch(lostKeys);
      try {
        await setup(bot);
        await bot.syncCommands();
        ctx.out.note("running; Ctrl-C stops");
        if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
        ctx.out.note("stopping");
      } finally {
        await bot.stop();
      }
      ctx.out.result({ stopped: true, userId: bot.userId, deviceId: bot.deviceId }, "bot stopped");
    },
  },
  {
    name: ["bot", "provision"],
    usage: "[--server URL] [--state-dir DIR]",
    summary: "Give the bot a new device in DIR and revoke its old ones (when its keys were lost)",
    details: `${BOT_FLAGS}

The new device rejoins the bot's channels by itself when the bot next runs; messages sent before
that stay unreadable to it. Stored state (state.json) is kept.`,
    options: BOT_OPTIONS,
    async run(ctx) {
      const creds = credentials(ctx);
      const { identity, revoked } = await provisionBot(creds);
      ctx.out.result({ identity, revoked }, [
        `Bot ${identity.username} has a new device ${identity.deviceId} in ${creds.stateDir}.`,
        revoked.length ? `Revoked: ${revoked.join(", ")}.` : "It had no other device.",
        "Start it again with `parley bot run FILE`: it rejoins its channels by itself.",
      ]);
    },
  },
];
