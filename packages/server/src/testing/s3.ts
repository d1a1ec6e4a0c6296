/**
 * A real S3-compatible server for tests: the `s3rver` package's server in its own process
 * on 127.0.0.1 (a free port below 32768), with one bucket, stopped by PID.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { freePort, waitForListening } from "./ports.ts";

export interface TestS3 {
  /** PARLEY_BLOB_URL for the bucket (s3rver's fixed credentials, path-style). */
  blobUrl(prefix?: string): string;
  stop(): Promise<void>;
}

const BUCKET = "parley-test";

export async function startTestS3(): Promise<TestS3> {
  const bin = createRequire(import.meta.url).resolve("s3rver/bin/s3rver.js");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-s3-"));
  const port = await freePort();
  const child = spawn(process.execPath, [bin, "-d", dir, "-a", "127.0.0.1", "-p", String(port), "-s", "--configure-bucket", BUCKET], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await waitForListening(port, { child, what: "s3rver", output: () => stderr });
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    blobUrl: (prefix = "") => `s3://S3RVER:S3RVER@${BUCKET}/${prefix}?endpoint=http://127.0.0.1:${port}&region=us-east-1`,
    async stop() {
      if (child.exitCode === null) {
        process.kill(child.pid!, "SIGTERM");
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
