/**
 * A small real `ws` client for gateway tests: records every server frame and
 * lets a test wait for the one it expects. Not used by production code.
 */
import { WebSocket } from "ws";
import { WS_PATH, type ClientFrameInput, type Cursors, type ServerFrame } from "@parley/protocol";

export interface TestSocket {
  ws: WebSocket;
  frames: ServerFrame[];
  /** Resolves with the close code and reason once the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
  send(frame: ClientFrameInput | Record<string, unknown>): void;
  sendRaw(data: string | Buffer): void;
  /** The first frame (already received or future) matching `pred`, after index `from`. */
  waitFor<T extends ServerFrame = ServerFrame>(pred: (f: ServerFrame) => boolean, timeoutMs?: number, from?: number): Promise<T>;
  /** Frames of type `t` received so far. */
  of<K extends ServerFrame["t"]>(t: K): Extract<ServerFrame, { t: K }>[];
  close(): Promise<void>;
}

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, "ws") + WS_PATH;
}

/** Open a socket (no hello sent). */
export async function openSocket(httpUrl: string): Promise<TestSocket> {
  const ws = new WebSocket(wsUrl(httpUrl));
  const frames: ServerFrame[] = [];
  const waiters = new Set<() => void>();
  ws.on("message", (data) => {
    frames.push(JSON.parse(String(data)) as ServerFrame);
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const w of waiters) w();
    });
  });
  ws.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const sock: TestSocket = {
    ws,
    frames,
    closed,
    send: (f) => ws.send(JSON.stringify(f)),
    sendRaw: (d) => ws.send(d),
    of: (t) => frames.filter((f) => f.t === t) as never,
    waitFor(pred, timeoutMs = 5000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let i = from; i < frames.length; i++) {
            if (pred(frames[i]!)) {
              cleanup();
              resolve(frames[i] as never);
              return true;
            }
          }
          if (ws.readyState === WebSocket.CLOSED) {
            cleanup();
            reject(new Error(`socket closed while waiting; frames: ${JSON.stringify(frames.map((f) => f.t))}`));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for a frame; got ${JSON.stringify(frames.map((f) => f.t))}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(onFrame);
        };
        const onFrame = () => {
          check();
        };
        if (!check()) waiters.add(onFrame);
      });
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
  return sock;
}

/** Open, send hello and wait for `synced`. */
export async function connectUser(httpUrl: string, token: string, cursors?: Partial<Cursors>, live?: boolean): Promise<TestSocket> {
  const s = await openSocket(httpUrl);
  s.send({ t: "hello", token, cursors: { user: cursors?.user ?? 0, channels: cursors?.channels ?? {} }, ...(live ? { live } : {}) });
  await s.waitFor((f) => f.t === "synced" || f.t === "error");
  const err = s.frames.find((f) => f.t === "error");
  if (err) throw new Error(`hello failed: ${JSON.stringify(err)}`);
  return s;
}

/** POST a plain-text message through the HTTP API as `user`; returns the persisted event's seq. */
export async function postText(
  user: { api(method: string, path: string, body?: unknown): Promise<{ status: number; body: { event: { seq: number } } }> },
  channelId: string,
  text: string,
  clientId = `c-${Math.random().toString(36).slice(2, 12)}`,
): Promise<number> {
  const r = await user.api("POST", `/channels/${channelId}/events`, { clientId, kind: "message", content: Buffer.from(text).toString("base64") });
  if (r.status !== 200) throw new Error(`send failed: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.event.seq;
}
