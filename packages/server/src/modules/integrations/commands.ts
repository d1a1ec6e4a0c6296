/**
 * Integrations (issue 13): admins register, list, enable/disable and delete the metadata of
 * webhooks that bot runtimes serve; the bot of an integration reports the deliveries it gave up
 * on. The server never holds the bot's keys or any content: a registration names a service
 * account that must already be a member of the (encrypted) channel. Every change is audited in
 * its transaction; another org's ids are simply not found.
 */
import type { Integration, IntegrationDeadLetter, RouteBody, routes } from "@parley/protocol";
import type { DeviceActor, Deps } from "../../context.ts";
import type { IntegrationsTable } from "../../platform/db/integration-tables.ts";
import { runCommand } from "../../command.ts";
import { actorRef } from "../../core/actor.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { newId } from "../../platform/ids.ts";
import { authorize } from "../access/authorize.ts";
import { deadLetterOf, deadLettersOf, integrationInOrg, integrationsOfOrg, toDeadLetter, toIntegration } from "./store.ts";

type NewIntegration = RouteBody<(typeof routes)["createIntegration"]>;
type DeadLetterReport = RouteBody<(typeof routes)["reportIntegrationDeadLetter"]>;

const manage = (p: DeviceActor) => authorize(p, "org.manage_users", { type: "org", orgId: p.orgId });
const invalid = (reason: string, message: string) => new AppError("integration_invalid", message, { reason });

export async function createIntegration(deps: Deps, p: DeviceActor, body: NewIntegration): Promise<Integration> {
  manage(p);
  try {
    return await runCommand(deps, p, "integrations.create", async (tx, fx) => {
      // Another org's user or channel is simply not found (nothing about it leaks).
      const bot = await tx.selectFrom("users").select(["id", "kind"]).where("org_id", "=", p.orgId).where("id", "=", body.botUserId).executeTakeFirst();
      if (!bot) throw notFound("bot user");
      if (bot.kind !== "service") throw invalid("bot_not_service_account", "the bot must be a service account of this org");
      const channel = await tx.selectFrom("channels").select("id").where("org_id", "=", p.orgId).where("id", "=", body.channelId).executeTakeFirst();
      if (!channel) throw notFound("channel");
      const member = await tx
        .selectFrom("channel_members")
        .select("user_id")
        .where("channel_id", "=", body.channelId)
        .where("user_id", "=", body.botUserId)
        .executeTakeFirst();
      if (!member) throw invalid("bot_not_member", "add the bot to the channel first: it reads and writes the channel with its own keys");
      const now = deps.now();
      const row: IntegrationsTable = {
        id: newId("itg"),
        org_id: p.orgId,
        kind: body.kind,
        name: body.name,
        bot_user_id: body.botUserId,
        channel_id: body.channelId,
        runs_at: body.runsAt,
        enabled: 1,
        created_by: actorRef(p),
        created_at: now,
        updated_at: now,
      };
      await tx.insertInto("integrations").values(row).execute();
      fx.audit({
        action: "integration.created",
        target: { kind: "integration", id: row.id },
        result: "success",
        details: { kind: row.kind, name: row.name, botUserId: row.bot_user_id, channelId: row.channel_id, runsAt: row.runs_at },
      });
      return toIntegration(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError("already_exists", `an integration named "${body.name}" exists already`);
    throw err;
  }
}

/** Admins list every integration of the org; anyone else (a bot) lists the ones it serves. */
export async function listIntegrations(deps: Deps, p: DeviceActor): Promise<{ integrations: Integration[] }> {
  let own: string | undefined;
  try {
    manage(p);
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== "forbidden") throw err;
    own = p.userId;
  }
  return { integrations: (await integrationsOfOrg(deps.db, p.orgId, own)).map(toIntegration) };
}

export async function setIntegrationEnabled(deps: Deps, p: DeviceActor, id: string, enabled: boolean): Promise<Integration> {
  manage(p);
  return runCommand(deps, p, "integrations.update", async (tx, fx) => {
    const row = await integrationInOrg(tx, p.orgId, id);
    if (!row) throw notFound("integration");
    if ((Number(row.enabled) === 1) === enabled) return toIntegration(row);
    const updated = { ...row, enabled: enabled ? 1 : 0, updated_at: deps.now() };
    await tx.updateTable("integrations").set({ enabled: updated.enabled, updated_at: updated.updated_at }).where("id", "=", id).execute();
    fx.audit({
      action: enabled ? "integration.enabled" : "integration.disabled",
      target: { kind: "integration", id },
      result: "success",
      details: { name: row.name },
    });
    return toIntegration(updated);
  });
}

export async function deleteIntegration(deps: Deps, p: DeviceActor, id: string): Promise<void> {
  manage(p);
  await runCommand(deps, p, "integrations.delete", async (tx, fx) => {
    const row = await integrationInOrg(tx, p.orgId, id);
    if (!row) throw notFound("integration");
    await tx.deleteFrom("integration_dead_letters").where("integration_id", "=", id).execute();
    await tx.deleteFrom("integrations").where("id", "=", id).execute();
    fx.audit({ action: "integration.deleted", target: { kind: "integration", id }, result: "success", details: { name: row.name, kind: row.kind } });
  });
}

/** The integration's bot reports a dead letter; the same delivery reported again returns the first report. */
export async function reportDeadLetter(deps: Deps, p: DeviceActor, id: string, body: DeadLetterReport): Promise<IntegrationDeadLetter> {
  return runCommand(deps, p, "integrations.reportDeadLetter", async (tx, fx) => {
    const row = await integrationInOrg(tx, p.orgId, id);
    // Only the integration's own bot reports; to anyone else it does not exist.
    if (!row || row.bot_user_id !== p.userId) throw notFound("integration");
    if (row.channel_id !== body.channelId) throw new AppError("bad_request", "the dead letter names another channel than the integration's");
    const seen = await deadLetterOf(tx, id, body.deliveryId);
    if (seen) return toDeadLetter(seen);
    const dl = {
      integration_id: id,
      delivery_id: body.deliveryId,
      org_id: p.orgId,
      channel_id: body.channelId,
      seq: body.seq,
      target_host: body.targetHost,
      last_status: body.lastStatus,
      last_error: body.lastError,
      attempts: body.attempts,
      failed_at: body.failedAt,
      reported_at: deps.now(),
    };
    await tx.insertInto("integration_dead_letters").values(dl).execute();
    fx.audit({
      action: "integration.dead_letter",
      target: { kind: "integration", id },
      result: "failure",
      details: { deliveryId: dl.delivery_id, seq: dl.seq, targetHost: dl.target_host, lastStatus: dl.last_status, attempts: dl.attempts },
    });
    return toDeadLetter(dl);
  });
}

export async function listDeadLetters(deps: Deps, p: DeviceActor, id: string, limit: number): Promise<{ deadLetters: IntegrationDeadLetter[] }> {
  manage(p);
  if (!(await integrationInOrg(deps.db, p.orgId, id))) throw notFound("integration");
  return { deadLetters: (await deadLettersOf(deps.db, id, limit)).map(toDeadLetter) };
}
