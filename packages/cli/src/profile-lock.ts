/**
 * One process per profile at a time. A profile is one MLS device: two
 * processes using it at once would each hold a copy of its group states and
 * of its store, and the later write would roll the other's back — at worst
 * re-using an MLS sender key generation (nonce reuse) or losing decrypted
 * history. So every command that opens the profile takes `<profile>/lock`
 * (created exclusively, holding the PID); a lock whose process is gone is
 * taken over. Short commands wait briefly for each other; a long-running
 * `read --follow` keeps the profile until it stops.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { CliError } from "./errors.ts";

const WAIT_MS = 15_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Take the profile's lock (waiting up to 15 s for another parley process); resolves to its release. */
export async function lockProfile(dir: string): Promise<() => void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, "lock");
  const end = Date.now() + WAIT_MS;
  for (;;) {
    try {
      await fsp.writeFile(file, String(process.pid), { flag: "wx", mode: 0o600 });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off("exit", release);
        try {
          fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
      process.on("exit", release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = Number((await fsp.readFile(file, "utf8").catch(() => "")).trim());
    if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
      // Left behind by a process that died (or half-written): take it over.
      await fsp.rm(file, { force: true });
      continue;
    }
    if (Date.now() > end) {
      throw new CliError(
        "profile_busy",
        `this profile is in use by another parley process (pid ${holder})`,
        "wait for it to finish (stop `parley read --follow` with Ctrl-C), or use another profile (--profile NAME) — each profile is its own device",
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
