/**
 * Byte streams across the worker boundary over a dedicated MessagePort:
 * the receiver pulls, the sender answers with one chunk (its buffer
 * transferred, not copied), the end, or a serialized error. Pull-driven, so
 * a large file never piles up in memory on either side, and an E2eeError
 * (digest mismatch) or AbortError (cancelled upload) keeps its identity.
 * Used instead of transferable ReadableStreams because those are missing in
 * some browsers and would turn typed errors into bare Errors.
 */
import { deserializeError, serializeError, type SerializedError } from "./errors.ts";

/** A stream in transit: the receiving end of its port. */
export interface WireStream {
  port: MessagePort;
}

type Pushed = { chunk: Uint8Array } | { done: true } | { error: SerializedError };

/** Serve `stream` over a new port; post `wire` with `transfer`. */
export function toWire(stream: ReadableStream<Uint8Array>): { wire: WireStream; transfer: Transferable[] } {
  const { port1, port2 } = new MessageChannel();
  const reader = stream.getReader();
  const post = (m: Pushed, transfer: Transferable[] = []) => port1.postMessage(m, transfer);
  port1.onmessage = (m: MessageEvent) => {
    if (m.data === "cancel") {
      reader.cancel().catch(() => undefined);
      port1.close();
      return;
    }
    reader.read().then(
      (r) => {
        if (r.done) {
          post({ done: true });
          port1.close();
          return;
        }
        // A chunk may be a view into a larger buffer: copy it into its own buffer, then transfer that.
        const chunk = r.value.slice();
        post({ chunk }, [chunk.buffer]);
      },
      (err: unknown) => {
        post({ error: serializeError(err) });
        port1.close();
      },
    );
  };
  return { wire: { port: port2 }, transfer: [port2] };
}

/** The stream on the receiving side. */
export function fromWire(wire: WireStream): ReadableStream<Uint8Array> {
  const { port } = wire;
  let answer: ((m: Pushed) => void) | undefined;
  port.onmessage = (m: MessageEvent) => {
    const a = answer;
    answer = undefined;
    a?.(m.data as Pushed);
  };
  return new ReadableStream<Uint8Array>({
    pull(ctl) {
      return new Promise<void>((resolve) => {
        answer = (m) => {
          if ("chunk" in m) ctl.enqueue(m.chunk);
          else {
            port.close();
            if ("done" in m) ctl.close();
            else ctl.error(deserializeError(m.error));
          }
          resolve();
        };
        port.postMessage("pull");
      });
    },
    cancel() {
      port.postMessage("cancel");
      port.close();
    },
  });
}
