/**
 * Reads a stream chunk by chunk, waiting for each async handler before the
 * next (back-pressure without buffering). Unlike `for await`, giving up early
 * does NOT destroy the stream: for an HTTP request that would reset the
 * socket and the client would never see the 413/409 answer. The rest of the
 * body is drained and discarded instead.
 */
import type { Readable } from "node:stream";

export function consumeStream(data: Readable, onChunk: (chunk: Buffer) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const cleanup = () => {
      data.off("data", onData);
      data.off("end", onEnd);
      data.off("error", fail);
      data.off("close", onClose);
    };
    function fail(err: unknown): void {
      if (settled) return;
      settled = true;
      cleanup();
      data.on("error", () => {
        /* already reported */
      });
      data.resume();
      reject(err);
    }
    // 'end' can fire while the last chunk's handler still runs (pause() does not hold it back).
    let pending: Promise<void> = Promise.resolve();
    function onData(chunk: Buffer | string): void {
      data.pause();
      pending = onChunk(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      pending.then(() => {
        if (!settled && !data.readableEnded) data.resume();
      }, fail);
    }
    function onEnd(): void {
      pending.then(() => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve();
      }, fail);
    }
    function onClose(): void {
      // 'close' before 'end': the client went away mid-body.
      if (!data.readableEnded) fail(new Error("the request body ended early (client disconnected)"));
    }
    data.on("data", onData);
    data.once("end", onEnd);
    data.once("error", fail);
    data.once("close", onClose);
    data.resume();
  });
}
