/** Listing active calls, and an org admin ending one (audited). */
import type { Call } from "@parley/protocol";
import type { DeviceActor, Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { authorize } from "../access/authorize.ts";
import { endCall } from "./lifecycle.ts";
import { activeCalls, lockCall, presentParticipants, toCall } from "./store.ts";

/** Active calls of the caller's channels; with `all`, every active call of the org (owners and admins). */
export async function listCalls(deps: Deps, p: DeviceActor, all: boolean): Promise<Call[]> {
  let channelIds: string[] | undefined;
  if (all) authorize(p, "channel.manage_any", { type: "org", orgId: p.orgId });
  else channelIds = (await deps.db.selectFrom("channel_members").select("channel_id").where("user_id", "=", p.userId).execute()).map((r) => r.channel_id);
  const rows = await activeCalls(deps.db, p.orgId, channelIds);
  return Promise.all(rows.map((r) => toCall(deps.db, r)));
}

/** End a call as an org admin: every device is dropped and the channel told (`call.ended`, reason `admin`). */
export function adminEndCall(deps: Deps, p: DeviceActor, callId: string): Promise<Call> {
  authorize(p, "channel.manage_any", { type: "org", orgId: p.orgId });
  return runCommand(deps, p, "call.end", async (tx, fx) => {
    const call = await lockCall(tx, p.orgId, callId, deps.storage.dialect === "postgres");
    if (!call) throw new AppError("not_found", "call not found");
    if (call.ended_at !== null) throw new AppError("call_ended", "the call has already ended");
    const participants = (await presentParticipants(tx, call.id)).length;
    const now = deps.now();
    await endCall(tx, fx, call, "admin", now, deps.sfu);
    fx.audit({
      action: "call.ended",
      target: { kind: "call", id: call.id },
      result: "success",
      details: { channelId: call.channel_id, kind: call.kind, participants, startedAt: call.started_at },
    });
    return toCall(tx, { ...call, ended_at: now, end_reason: "admin", active_channel: null });
  });
}
