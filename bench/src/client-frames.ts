/**
 * What the load-client processes say on a socket: open + `hello` until `ready` (live-only) or
 * `synced` (a full hello replaying from cursor 0), `send` frames whose content starts with the
 * send time, and reading acks and that send time back. Latency = receive time - that send time
 * (every client process reads the same machine clock).
 */
import { WebSocket } from "ws";
import { WS_PATH } from "@parley/protocol";

const CONTENT_TAG = Buffer.from('"content":"');

/** Wall-clock milliseconds with sub-millisecond resolution. */
export const now = () => performance.timeOrigin + performance.now();

/** `ready`: a live-only hello (no replay), done at `ready`; `synced`: a full hello, done at `synced`. */
export type HelloUntil = "ready" | "synced";

/** Open one socket (from `localAddress` if given), send hello, resolve when it is done (see HelloUntil). */
export function openSocket(
  url: string,
  token: string,
  localAddress: string | undefined,
  onFrame: (data: Buffer) => void,
  until: HelloUntil = "ready",
  timeoutMs = 30_000,
): Promise<WebSocket> {
  const done = until === "ready" ? '"t":"ready"' : '"t":"synced"';
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}${WS_PATH}`, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      ...(localAddress ? { localAddress } : {}),
    });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`connect timeout (${timeoutMs / 1000} s)`));
    }, timeoutMs);
    let ready = false;
    ws.on("open", () => ws.send(JSON.stringify({ t: "hello", token, cursors: { user: 0, channels: {} }, live: until === "ready" })));
    ws.on("message", (data: Buffer) => {
      if (!ready) {
        const s = data.toString("utf8", 0, 40);
        if (s.includes(done)) {
          ready = true;
          clearTimeout(timer);
          resolve(ws);
        } else if (s.includes('"t":"error"')) {
          clearTimeout(timer);
          ws.terminate();
          reject(new Error(`hello rejected: ${data.toString().slice(0, 200)}`));
        }
        return;
      }
      onFrame(data);
    });
    ws.on("error", (err) => {
      if (!ready) {
        clearTimeout(timer);
        reject(err);
      }
    });
    ws.on("close", (code) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`closed before ready: ${code}`));
      }
    });
  });
}

/** A `send` frame whose content's first 8 bytes are the send time (and the next 4 a counter). */
export function sendFrame(ref: string, channelId: string, clientId: string, counter: number): string {
  const content = Buffer.alloc(16);
  content.writeDoubleLE(now(), 0);
  content.writeUInt32LE(counter >>> 0, 8);
  return JSON.stringify({ t: "send", ref, channelId, clientId, kind: "message", content: content.toString("base64") });
}

/** Send time written by the sender into the first 8 content bytes. */
export function sentAt(data: Buffer): number | undefined {
  const i = data.indexOf(CONTENT_TAG);
  if (i < 0) return undefined;
  const start = i + CONTENT_TAG.length;
  const bytes = Buffer.from(data.toString("latin1", start, start + 12), "base64");
  return bytes.length >= 8 ? bytes.readDoubleLE(0) : undefined;
}

/** The ref of an `ack` (ok) or `error` (not ok) frame; undefined for any other frame. */
export function ackOf(data: Buffer): { ref: string; ok: boolean } | undefined {
  const head = data.toString("utf8", 0, 48);
  const ok = head.includes('"t":"ack"');
  if (!ok && !head.includes('"t":"error"')) return undefined;
  const ref = /"ref":"([^"]+)"/.exec(data.toString())?.[1];
  return ref === undefined ? undefined : { ref, ok };
}
