/**
 * A Parley server in its own process, for tests that kill it (kill -9,
 * SIGTERM). Configuration comes from the environment exactly as in
 * production (PARLEY_*, DATABASE_URL). Prints one JSON line on stdout when
 * it listens — `{ "url": ..., "setupToken": ..., "node": ... }` — and writes its logs to
 * stderr. SIGTERM runs the real graceful shutdown.
 */
import { createServer } from "@parley/server";

const server = await createServer({ env: process.env, logDestination: process.stderr });
process.stdout.write(`${JSON.stringify({ url: server.url, setupToken: server.setupToken ?? null, node: server.deps.nodeId, pid: process.pid })}\n`);

let stopping = false;
process.on("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  server.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error("shutdown failed", err);
      process.exit(1);
    },
  );
});
