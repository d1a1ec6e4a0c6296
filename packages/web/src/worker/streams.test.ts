import { test } from "node:test";
import assert from "node:assert/strict";
import { E2eeError, isE2eeError } from "@parley/sdk";
import { fromWire, toWire } from "./streams.ts";

const collect = async (s: ReadableStream<Uint8Array>): Promise<Uint8Array> => new Uint8Array(await new Response(s).arrayBuffer());

test("bytes arrive whole and in order, chunk views copied into their own buffers", async () => {
  const big = new Uint8Array(300_000).map((_, i) => i % 251);
  const src = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < big.length; i += 65_536) c.enqueue(big.subarray(i, i + 65_536));
      c.close();
    },
  });
  const { wire } = toWire(src);
  assert.deepEqual(await collect(fromWire(wire)), big);
  assert.equal(big[1000], 1000 % 251, "the sender's buffer is intact (copies were transferred)");
});

test("a typed error on the sending side reaches the reader as the same kind of error", async () => {
  let n = 0;
  const src = new ReadableStream<Uint8Array>({
    pull(c) {
      if (n++ === 0) c.enqueue(new Uint8Array([1, 2, 3]));
      else c.error(new E2eeError("attachment_digest_mismatch", "digest differs"));
    },
  });
  const err = await collect(fromWire(toWire(src).wire)).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(isE2eeError(err, "attachment_digest_mismatch"), `got ${String(err)}`);
});

test("an abort on the sending side arrives as AbortError; cancel on the reader cancels the source", async () => {
  const aborted = new ReadableStream<Uint8Array>({
    pull(c) {
      c.error(new DOMException("Upload cancelled", "AbortError"));
    },
  });
  const err = await collect(fromWire(toWire(aborted).wire)).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.equal((err as Error).name, "AbortError");

  let cancelled = false;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new Uint8Array(10));
    },
    cancel() {
      cancelled = true;
    },
  });
  const reader = fromWire(toWire(endless).wire).getReader();
  await reader.read();
  await reader.cancel();
  for (let i = 0; i < 50 && !cancelled; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(cancelled, true);
});
