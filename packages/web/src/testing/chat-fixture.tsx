/**
 * A signed-in ChatStore for component tests, with no server. Everything on
 * the page side is real (ChatStore, RemoteClient, WorkerLink, ChannelHistory,
 * the SDK Timeline, the React context); only the client worker is replaced,
 * at the browser's `Worker` boundary, by a peer that speaks the typed worker
 * protocol (worker/protocol.ts): it records every command the page sends,
 * answers them from a small table, and pushes client events the way the real
 * worker forwards them. A live worker needs a server, IndexedDB and MLS, which
 * the browser tests (test/web) cover end to end.
 */
import type { ReactNode } from "react";
import { render, type RenderResult } from "@testing-library/react";
import type { MyChannel, Org, User } from "@parley/protocol";
import type { ConnectionChange, ReceivedEvent } from "@parley/sdk";
import { ChatStore } from "../client/chat-store.ts";
import { RemoteClient } from "../client/remote-client.ts";
import { WorkerLink } from "../client/worker-link.ts";
import { ChatContext } from "../client/use-chat.ts";
import { serializeError } from "../worker/errors.ts";
import type { Command, WorkerMessage, WorkerPush } from "../worker/protocol.ts";

const ORG: Org = { id: "org-1", slug: "acme", name: "Acme", createdAt: 1_700_000_000_000 };

/** A user of the test org. */
export function user(id: string, username: string, displayName: string, extra: Partial<User> = {}): User {
  return { id, orgId: ORG.id, username, displayName, role: "member", deactivated: false, createdAt: ORG.createdAt, ...extra };
}

/** The worker's side of the link: records commands, answers them, pushes events. */
export class PeerWorker {
  static last: PeerWorker | undefined;
  onmessage: ((ev: MessageEvent<WorkerMessage>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  readonly commands: Command[] = [];
  /** Reply values by `op` or by `call:<method>` / `api:<route>`; a function gets the command; an Error is a failed reply; a promise replies when it settles. */
  readonly answers = new Map<string, unknown>();

  constructor() {
    PeerWorker.last = this;
  }

  postMessage(cmd: Command): void {
    this.commands.push(cmd);
    const key = cmd.op === "call" ? `call:${cmd.method}` : cmd.op === "api" ? `api:${cmd.route}` : cmd.op;
    const answer = this.answers.get(key);
    const value = typeof answer === "function" ? (answer as (c: Command) => unknown)(cmd) : answer;
    const reply = (v: unknown) =>
      this.#deliver(v instanceof Error ? { t: "reply", id: cmd.id, ok: false, error: serializeError(v) } : { t: "reply", id: cmd.id, ok: true, value: v });
    // Replies are asynchronous, as across a real worker boundary; a promise answers when it settles (a sign-in waiting for its code).
    if (value instanceof Promise) void value.then(reply, reply);
    else queueMicrotask(() => reply(value));
  }

  /** Client calls the page made (`call` commands), as [method, args]. */
  calls(method?: string): Array<[string, unknown[]]> {
    return this.commands.flatMap((c) => (c.op === "call" && (!method || c.method === method) ? [[c.method, c.args] as [string, unknown[]]] : []));
  }

  push(m: WorkerPush): void {
    this.#deliver(m);
  }

  terminate(): void {
    /* nothing runs */
  }

  #deliver(data: WorkerMessage): void {
    this.onmessage?.({ data } as MessageEvent<WorkerMessage>);
  }
}

/** The signed-in store plus the worker peer behind it. */
export interface ChatFixture {
  chat: ChatStore;
  worker: PeerWorker;
  me: User;
  /** A decoded event arrives from the worker (as a live or replayed event). */
  event(e: Partial<ReceivedEvent> & Pick<ReceivedEvent, "seq">): void;
  /** The realtime connection changed. */
  connection(c: ConnectionChange): void;
  /** Render `ui` inside the store's context (what the app shell does). */
  render(ui: ReactNode): RenderResult;
}

/** Sign in `me` with `users` in one channel (`channelId`, fields overridden by `channel`), through the real store's start(). */
export async function chatFixture(opts: { me: User; users: User[]; channelId?: string; channel?: Partial<MyChannel> }): Promise<ChatFixture> {
  const channelId = opts.channelId ?? "ch-1";
  const channel: MyChannel = {
    id: channelId,
    orgId: ORG.id,
    kind: "public",
    name: "general",
    topic: "",
    archived: false,
    createdBy: opts.me.id,
    createdAt: ORG.createdAt,
    lastSeq: 0,
    memberCount: opts.users.length + 1,
    epoch: 1,
    history: "shared",
    labels: [],
    retentionFloor: 0,
    myRole: "member",
    readSeq: 0,
    unread: 0,
    mentions: 0,
    ...opts.channel,
  };
  const previous = globalThis.Worker;
  globalThis.Worker = PeerWorker as unknown as typeof Worker;
  const link = new WorkerLink();
  globalThis.Worker = previous;
  const worker = PeerWorker.last!;
  worker.answers.set("api:listUsers", { users: [opts.me, ...opts.users] });
  worker.answers.set("call:channels", [channel]);
  worker.answers.set("older", { events: [], hasMore: false });
  const client = new RemoteClient(link, {
    me: opts.me,
    org: ORG,
    codec: { name: "mls", encrypted: true },
    session: {
      baseUrl: location.origin,
      userId: opts.me.id,
      username: opts.me.username,
      orgId: ORG.id,
      orgSlug: ORG.slug,
      deviceId: "dev-me",
      sessionId: "sess-1",
    },
    e2eeConfig: undefined,
  });
  const chat = new ChatStore(client, opts.me, ORG);
  await chat.start();
  // Let the store's batched change notification (one per frame) go out, so a test starts from a quiet store
  // (and one that switches to fake timers does not leave a real notification timer pending).
  await new Promise((r) => setTimeout(r, 20));
  let clientSeq = 0;
  return {
    chat,
    worker,
    me: opts.me,
    event(e) {
      const full: ReceivedEvent = {
        kind: "message",
        channelId,
        senderId: opts.me.id,
        senderDeviceId: "dev",
        threadRoot: null,
        target: null,
        mentions: [],
        createdAt: ORG.createdAt + e.seq * 60_000,
        clientId: `c-${++clientSeq}`,
        content: {} as ReceivedEvent["content"],
        text: undefined,
        emoji: undefined,
        own: (e.senderId ?? opts.me.id) === opts.me.id,
        raw: {} as ReceivedEvent["raw"],
        ...e,
      };
      worker.push({ t: "events", batch: [["event", full]] });
    },
    connection(c) {
      worker.push({ t: "events", batch: [["connection", c]] });
    },
    render(ui) {
      return render(<ChatContext.Provider value={chat}>{ui}</ChatContext.Provider>);
    },
  };
}
