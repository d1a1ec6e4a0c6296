/**
 * The bot framework: a service account's device (its own MLS keys, signed in with an API key)
 * that reads and writes its channels like any member's client, with commands, message events,
 * replies and stored state.
 *
 *   const bot = await startBot({ server, apiKey, stateDir });
 *   bot.command("ticket", { description: "Open a ticket", usage: "<title>" }, (ctx) => ctx.reply(`Opened: ${ctx.args}`));
 *   bot.on("message", (m) => console.log(m.channelId, m.text));
 *
 * Commands are registered with the server as metadata (name, description, usage) so the
 * composer can offer them; running one is an encrypted message only the channel's devices read.
 */
import type { ParleyClient, ReceivedEvent, SlashCommandInvocation } from "@parley/sdk";
import { commandOf, parseSlashCommand } from "@parley/sdk";
import { BotState } from "./state.ts";
import { signInBot, type BotCredentials } from "./identity.ts";
import type { IntegrationLabel } from "./webhooks/channel-io.ts";

/** A decrypted message from someone else in one of the bot's channels. */
export interface BotMessage {
  channelId: string;
  seq: number;
  senderId: string;
  text: string;
  /** The thread the message is in (its root's seq), or null. */
  threadRoot: number | null;
  /** The slash command the message runs, if it is one. */
  command: SlashCommandInvocation | undefined;
}

/** What a command handler gets. */
export interface CommandContext {
  bot: Bot;
  message: BotMessage;
  /** The command's name (without the slash). */
  name: string;
  /** Everything after the name, trimmed. */
  args: string;
  /** `args` split on whitespace. */
  argv: string[];
  /** Answer in the same channel (and in the same thread when the command was run in one); resolves to the reply's seq. */
  reply(text: string): Promise<number>;
}

/** What a command says about itself (shown in the composer's autocomplete). */
export interface CommandInfo {
  description: string;
  /** The arguments, e.g. `<title> [priority]`. */
  usage?: string;
}

export type CommandHandler = (ctx: CommandContext) => unknown;
export type MessageHandler = (message: BotMessage) => unknown;
export type ErrorHandler = (err: unknown) => void;

/** Options of {@link startBot}. */
export interface BotOptions extends BotCredentials {
  /** Progress lines (signed in, live, commands registered…); default: silent. */
  log?: (line: string) => void;
}

/** How long stop() waits for handlers still running. */
const STOP_GRACE_MS = 5_000;

/** A running bot. Also the integration seam: {@link post} and {@link onMessage}. */
export class Bot {
  /** The bot's signed-in device (the SDK client): anything a member's client can do. */
  readonly client: ParleyClient;
  /** Stored state, kept in `<stateDir>/state.json` across restarts. */
  readonly state: BotState;
  readonly #commands = new Map<string, { info: Required<CommandInfo>; handler: CommandHandler }>();
  readonly #messageHandlers = new Set<MessageHandler>();
  readonly #errorHandlers = new Set<ErrorHandler>();
  readonly #running = new Set<Promise<unknown>>();
  readonly #log: (line: string) => void;
  #sync: Promise<void> = Promise.resolve();
  #syncQueued = false;
  #stopped = false;
  readonly #off: Array<() => void> = [];

  constructor(client: ParleyClient, state: BotState, log: (line: string) => void) {
    this.client = client;
    this.state = state;
    this.#log = log;
    this.#off.push(
      client.on("message", (e) => this.#received(e)),
      client.on("sessionEnded", (err) =>
        this.#fail(new Error(`the bot's session ended (${err.message}): was its device revoked or its API key? Start it again or re-provision it`)),
      ),
      client.on("error", (err) => this.#fail(err)),
    );
  }

  /** The bot's user id. */
  get userId(): string {
    return this.client.userId;
  }

  /** The bot's device id. */
  get deviceId(): string {
    return this.client.session?.deviceId ?? "";
  }

  /**
   * Answer `/name`: the handler runs for every message in the bot's channels that runs the
   * command. The command is registered with the server (metadata only) so composers offer it.
   */
  command(name: string, info: CommandInfo, handler: CommandHandler): this {
    const key = name.replace(/^\//, "").toLowerCase();
    if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(key)) throw new Error(`bad command name "${name}": lower-case letters, digits, - and _ (at most 32)`);
    this.#commands.set(key, { info: { description: info.description, usage: info.usage ?? "" }, handler });
    void this.syncCommands().catch((err: unknown) => this.#fail(err));
    return this;
  }

  /** Listen to every decrypted message from others ("message") or to background failures ("error"); returns an unsubscribe function. */
  on(event: "message", handler: MessageHandler): () => void;
  on(event: "error", handler: ErrorHandler): () => void;
  on(event: "message" | "error", handler: MessageHandler | ErrorHandler): () => void {
    const set = (event === "message" ? this.#messageHandlers : this.#errorHandlers) as Set<typeof handler>;
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Integration seam: every decrypted message from others (channelId, seq, senderId, text). */
  onMessage(handler: MessageHandler): () => void {
    return this.on("message", handler);
  }

  /**
   * Integration seam: post `text` into a channel the bot is in (MLS-encrypted); resolves to the
   * message's seq. `integration` (an incoming webhook's id, name and where it runs) is sealed in
   * the content beside the text, so members see who posted through the bot.
   */
  async post(channelId: string, text: string, opts: { threadRoot?: number | null; integration?: IntegrationLabel } = {}): Promise<number> {
    const r = await this.client.send(channelId, {
      kind: "message",
      text,
      ...(opts.threadRoot ? { threadRoot: opts.threadRoot } : {}),
      ...(opts.integration ? { integration: opts.integration } : {}),
    });
    return r.event.seq;
  }

  /** Register the current command list with the server now (coalesced; `command()` does it by itself). */
  syncCommands(): Promise<void> {
    if (this.#syncQueued) return this.#sync;
    this.#syncQueued = true;
    this.#sync = this.#sync
      .catch(() => undefined)
      .then(async () => {
        this.#syncQueued = false;
        const commands = [...this.#commands].map(([name, c]) => ({ name, ...c.info }));
        await this.client.api.call("setBotCommands", { body: { commands } });
        this.#log(`commands registered: ${commands.map((c) => `/${c.name}`).join(" ") || "(none)"}`);
      });
    return this.#sync;
  }

  /** Wait until every handler started so far has finished. */
  async idle(): Promise<void> {
    while (this.#running.size) await Promise.allSettled([...this.#running]);
  }

  /** Stop: no new messages, handlers get a few seconds to finish, state and device saved, disconnected. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const off of this.#off) off();
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]);
    await this.#sync.catch(() => undefined);
    await this.state.flush();
    await this.client.close();
    this.#log("stopped");
  }

  #fail(err: unknown): void {
    if (this.#errorHandlers.size === 0) {
      this.#log(`error: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (const h of this.#errorHandlers) h(err);
  }

  #track(p: Promise<unknown>): void {
    const t = p.catch((err: unknown) => this.#fail(err)).finally(() => this.#running.delete(t));
    this.#running.add(t);
  }

  #received(e: ReceivedEvent): void {
    if (this.#stopped || e.own || e.content.decodeError || typeof e.text !== "string") return;
    const command = commandOf(e.content) ?? parseSlashCommand(e.text);
    const message: BotMessage = { channelId: e.channelId, seq: e.seq, senderId: e.senderId, text: e.text, threadRoot: e.threadRoot, command };
    for (const h of this.#messageHandlers) this.#track(Promise.resolve().then(() => h(message)));
    if (command && (!command.bot || command.bot === this.userId)) this.#track(this.#runCommand(message, command));
  }

  async #runCommand(message: BotMessage, command: SlashCommandInvocation): Promise<void> {
    const ctx: CommandContext = {
      bot: this,
      message,
      name: command.name,
      args: command.args,
      argv: command.args ? command.args.split(/\s+/) : [],
      reply: (text) => this.post(message.channelId, text, { threadRoot: message.threadRoot }),
    };
    const entry = this.#commands.get(command.name);
    if (!entry) {
      // Only a command meant for this bot gets an answer: another bot in the channel may know it.
      if (command.bot === this.userId) await ctx.reply(`Unknown command /${command.name}. ${this.#help()}`);
      return;
    }
    try {
      await entry.handler(ctx);
    } catch (err) {
      this.#fail(err);
      await ctx.reply(`Sorry, /${command.name} failed.`);
    }
  }

  #help(): string {
    const names = [...this.#commands.keys()].map((n) => `/${n}`);
    return names.length ? `Commands: ${names.join(", ")}.` : "This bot has no commands.";
  }
}

/**
 * Start a bot: sign in with its API key on the device kept in `stateDir` (provisioned on the
 * first run), connect, catch up, register its commands. Throws `BotKeysLostError` when the
 * state directory lost the device's keys (see `provisionBot`).
 */
export async function startBot(opts: BotOptions): Promise<Bot> {
  const log = opts.log ?? (() => undefined);
  const state = await BotState.open(opts.stateDir);
  const client = await signInBot(opts);
  log(`signed in as ${client.session?.username ?? client.userId} (device ${client.session?.deviceId ?? "?"})`);
  const bot = new Bot(client, state, log);
  try {
    client.connect();
    await client.waitUntilLive();
    await client.settled();
    await bot.syncCommands();
  } catch (err) {
    await bot.stop();
    throw err;
  }
  log("live");
  return bot;
}
