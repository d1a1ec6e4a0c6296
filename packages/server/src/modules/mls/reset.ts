/**
 * "Reset encryption": the channel's MLS group is dropped and a new generation starts
 * (new group id, epochs from 0). The server cannot create the new group — it holds no
 * member's keys — so it only opens the generation: one transaction bumps the channel's
 * generation, forgets the old group's GroupInfo, leaf map, Welcomes and pending
 * removals, and appends a visible "reset" event. Members' devices that process that
 * event drop their old group; the first to post an init bundle for the new generation
 * creates it and adds every member's current devices (the usual create path), so no
 * one loses access and nothing of the old group carries over.
 *
 * Who may reset: channel admins and org admins ("admin"); any member's device when its
 * group is unrecoverable ("unrecoverable", at most once per cooldown per channel) or was
 * made by another MLS engine than this release's ("engine_upgrade", checked here);
 * operators from the CLI.
 */
import { appendEvents } from "../timeline/append.ts";
import { claimSeqs } from "../timeline/sequence.ts";
import type { EncryptionReset, ResetEncryptionResult, ResetReason } from "@parley/protocol";
import type { Actor, Deps, DeviceActor } from "../../context.ts";
import { AppError } from "../../core/errors.ts";
import type { Tx } from "../../platform/db/index.ts";
import { newId } from "../../platform/ids.ts";
import { runCommand } from "../../command.ts";
import { authorize } from "../access/authorize.ts";
import { loadChannel } from "../channels/access.ts";
import type { EventRow } from "../messages/store.ts";
import { SERVER_SENDER } from "./removals.ts";
import { findGroup } from "./store.ts";
import { MLS_ENGINE } from "@parley/crypto/public";

/** A member's device may ask for a reset once per this long per channel (admins and operators are not limited). */
const MEMBER_RESET_COOLDOWN_MS = 10 * 60_000;

/** POST /channels/:channelId/encryption/reset. */
export async function resetEncryption(deps: Deps, p: DeviceActor, channelId: string, reason: Exclude<ResetReason, "operator">): Promise<ResetEncryptionResult> {
  const ch = await loadChannel(deps.db, p, channelId);
  if (reason === "admin") authorize(p, "channel.manage", { type: "channel", channel: ch.resource });
  else if (!ch.membership) throw new AppError("forbidden", "only members' devices may ask for a new group of their channel");
  if (reason === "engine_upgrade") {
    // Verifiable here: the server ships with the clients' engine, so no cooldown is needed.
    const group = await findGroup(deps.db, channelId);
    if (!group || group.engine === MLS_ENGINE) throw new AppError("bad_request", `the channel's group already runs ${MLS_ENGINE}`, { reason: "same_engine" });
  }
  return applyReset(deps, { orgId: p.orgId, channelId, reason, by: p.userId, deviceId: p.deviceId, cooldown: reason === "unrecoverable", actor: p });
}

/** What a reset needs: the channel, why, who (null: an operator), and whether the member cooldown applies. */
export interface ResetRequest {
  orgId: string;
  channelId: string;
  reason: ResetReason;
  by: string | null;
  deviceId: string | null;
  cooldown: boolean;
  /** Who asks: a member's device, or the system (the operator command). */
  actor: Actor;
}

/** Open the channel's next group generation (one transaction) and announce it; also used by the operator command. */
export async function applyReset(deps: Deps, r: ResetRequest): Promise<ResetEncryptionResult> {
  const now = deps.now();
  const out = await runCommand(deps, r.actor, "mls.resetEncryption", async (tx, after) => {
    const row = await claimSeqs(tx, {
      channelId: r.channelId,
      orgId: r.orgId,
      active: true,
      advance: { kind: "generation", at: now },
      ...(r.cooldown ? { lastResetAtMost: now - MEMBER_RESET_COOLDOWN_MS } : {}),
    });
    if (!row) throw await whyNot(tx, r, now);
    const generation = row.generation;
    for (const table of ["mls_groups", "mls_leaves", "mls_welcomes", "mls_pending_removals"] as const) {
      await tx.deleteFrom(table).where("channel_id", "=", r.channelId).execute();
    }
    const info: EncryptionReset = { generation, reason: r.reason, by: r.by };
    after.audit({ action: "mls.encryption.reset", target: { kind: "channel", id: r.channelId }, result: "success", details: { generation, reason: r.reason } });
    const ev: EventRow = {
      channel_id: r.channelId,
      seq: row.first,
      id: newId("ev"),
      client_id: `mls-reset-${generation}`,
      sender_id: r.by ?? SERVER_SENDER,
      sender_device_id: r.deviceId ?? SERVER_SENDER,
      kind: "reset",
      epoch: 0,
      generation,
      content: Buffer.from(JSON.stringify(info)),
      thread_root: null,
      target: null,
      mentions: "[]",
      created_at: now,
    };
    const event = (await appendEvents(tx, after, [{ orgId: r.orgId, row: ev }]))[0]!;
    return { generation, event };
  });
  deps.metrics.mlsResets.inc({ reason: r.reason });
  deps.log.info({ channelId: r.channelId, generation: out.generation, reason: r.reason, by: r.by }, "channel encryption reset");
  return out;
}

async function whyNot(tx: Tx, r: ResetRequest, now: number): Promise<AppError> {
  const c = await tx
    .selectFrom("channels")
    .select(["archived_at", "mls_reset_at"])
    .where("id", "=", r.channelId)
    .where("org_id", "=", r.orgId)
    .executeTakeFirst();
  if (!c) return new AppError("not_found", "channel not found");
  if (c.archived_at !== null) return new AppError("channel_archived", "the channel is archived");
  const wait = Math.max(1, Math.ceil((Number(c.mls_reset_at) + MEMBER_RESET_COOLDOWN_MS - now) / 1000));
  return new AppError(
    "rate_limited",
    `the channel's encryption was reset moments ago; a member's device may ask again in ${wait} s (channel admins may reset now)`,
    { retryAfter: wait },
    wait,
  );
}
