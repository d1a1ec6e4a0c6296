/**
 * Message content in the CLI: end-to-end encrypted with MLS by the SDK (its
 * default codec). The device's MLS secrets live in the profile's encrypted
 * key store; what this device decrypted is kept sealed in its FileStore, so
 * `parley read` in a later process shows it (MLS keys are single-use).
 */
import type { KeyStore } from "@parley/sdk/node";
import { openDeviceKeyStore } from "@parley/sdk/node";
import type { Ctx } from "./command.ts";
import { profileDir } from "./profile.ts";
import type { Content } from "./render.ts";

/** The profile's E2EE settings: its encrypted key store (`<profile>/keys`, key file `<profile>/keys.key`). */
export async function e2eeOptions(ctx: Ctx): Promise<{ keyStore: KeyStore }> {
  return { keyStore: await openDeviceKeyStore(profileDir(ctx.opts, ctx.env)) };
}

/** Shown once on stderr when a channel has history from before this device joined its encryption group. */
export const HISTORY_NOTE = "messages from before this device joined are not available on it";

/** Whether decoded content is history from before this device joined (never readable here). */
export function beforeJoin(c: Content): boolean {
  return c.decodeReason === "history_unavailable";
}
