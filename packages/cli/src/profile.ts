/**
 * Where a signed-in CLI keeps its session: a profile directory (mode 0700)
 * holding the SDK's FileStore (session tokens, cursors; file mode 0600).
 * Default ~/.config/parley/<profile>; --profile NAME / PARLEY_PROFILE picks
 * another name, --profile-dir / PARLEY_PROFILE_DIR another directory.
 */
import os from "node:os";
import path from "node:path";
import { str, type Opts } from "./command.ts";
import { UsageError } from "./errors.ts";

export function profileDir(opts: Opts, env: NodeJS.ProcessEnv): string {
  const dir = str(opts, "profile-dir") ?? env.PARLEY_PROFILE_DIR;
  if (dir) return path.resolve(dir);
  const name = str(opts, "profile") ?? env.PARLEY_PROFILE ?? "default";
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith("."))
    throw new UsageError(`profile name '${name}' may only use letters, digits, dot, dash, underscore`);
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config");
  return path.join(base, "parley", name);
}
