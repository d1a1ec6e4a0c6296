/**
 * A raw WebSocket client of the gateway for system tests: records every frame
 * and the close code, and waits for frames by predicate.
 */
import WebSocket from "ws";
import { WS_PATH, type ClientFrameInput, type ServerFrame } from "@parley/protocol";

export interface WsClient {
  ws: WebSocket;
  frames: ServerFrame[];
  /** Resolves with the close code once the socket closes. */
  closed: Promise<number>;
  send(frame: ClientFrameInput): void;
  /** The first recorded frame (past or future) matching `pred`. */
  waitFor<T extends ServerFrame>(pred: (f: ServerFrame) => f is T, timeoutMs?: number): Promise<T>;
  waitFor(pred: (f: ServerFrame) => boolean, timeoutMs?: number): Promise<ServerFrame>;
  close(): void;
}

export async function connectWs(base: string): Promise<WsClient> {
  const ws = new WebSocket(base.replace(/^http/, "ws") + WS_PATH);
  const frames: ServerFrame[] = [];
  const waiters = new Set<() => void>();
  ws.on("message", (data) => {
    frames.push(JSON.parse(String(data)) as ServerFrame);
    for (const w of [...waiters]) w();
  });
  let closedYet = false;
  const closed = new Promise<number>((resolve) =>
    ws.once("close", (code) => {
      closedYet = true;
      resolve(code);
      for (const w of [...waiters]) w();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.on("error", () => {
    /* surfaced through `closed` */
  });
  return {
    ws,
    frames,
    closed,
    send(frame) {
      ws.send(JSON.stringify(frame));
    },
    waitFor(pred: (f: ServerFrame) => boolean, timeoutMs = 10_000): Promise<ServerFrame> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const f = frames.find(pred);
          if (f) {
            done();
            resolve(f);
            return;
          }
          if (closedYet) {
            done();
            reject(new Error(`socket closed before the awaited frame; got ${frames.map((x) => x.t).join(",")}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for a frame; got ${frames.map((x) => x.t).join(",")}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      ws.close(1000);
    },
  } as WsClient;
}
