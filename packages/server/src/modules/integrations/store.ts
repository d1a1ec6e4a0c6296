/** Queries of the integrations module (migration 0037). Every lookup is scoped to an org. */
import type { Integration, IntegrationDeadLetter } from "@parley/protocol";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { IntegrationDeadLettersTable, IntegrationsTable } from "../../platform/db/integration-tables.ts";

export function toIntegration(r: IntegrationsTable): Integration {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    botUserId: r.bot_user_id,
    channelId: r.channel_id,
    runsAt: r.runs_at,
    enabled: Number(r.enabled) === 1,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toDeadLetter(r: IntegrationDeadLettersTable): IntegrationDeadLetter {
  return {
    integrationId: r.integration_id,
    deliveryId: r.delivery_id,
    channelId: r.channel_id,
    seq: Number(r.seq),
    targetHost: r.target_host,
    lastStatus: r.last_status === null ? null : Number(r.last_status),
    lastError: r.last_error,
    attempts: Number(r.attempts),
    failedAt: Number(r.failed_at),
  };
}

export function integrationInOrg(db: Db | Tx, orgId: string, id: string): Promise<IntegrationsTable | undefined> {
  return db.selectFrom("integrations").selectAll().where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
}

export function integrationsOfOrg(db: Db | Tx, orgId: string, botUserId?: string): Promise<IntegrationsTable[]> {
  let q = db.selectFrom("integrations").selectAll().where("org_id", "=", orgId);
  if (botUserId !== undefined) q = q.where("bot_user_id", "=", botUserId);
  return q.orderBy("name").execute();
}

export function deadLetterOf(db: Db | Tx, integrationId: string, deliveryId: string): Promise<IntegrationDeadLettersTable | undefined> {
  return db
    .selectFrom("integration_dead_letters")
    .selectAll()
    .where("integration_id", "=", integrationId)
    .where("delivery_id", "=", deliveryId)
    .executeTakeFirst();
}

export function deadLettersOf(db: Db | Tx, integrationId: string, limit: number): Promise<IntegrationDeadLettersTable[]> {
  return db
    .selectFrom("integration_dead_letters")
    .selectAll()
    .where("integration_id", "=", integrationId)
    .orderBy("failed_at", "desc")
    .orderBy("delivery_id")
    .limit(limit)
    .execute();
}
