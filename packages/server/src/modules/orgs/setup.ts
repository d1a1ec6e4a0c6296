// SCAFFOLD: replaced by the orgs module.
import type { Deps } from "../../context.ts";
export async function ensureSetupToken(_deps: Deps): Promise<string | undefined> { return undefined; }
