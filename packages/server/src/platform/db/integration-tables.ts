/** Integration tables (migration 0037, issue 13): metadata of webhooks served by bot runtimes, and their dead letters. */

/** A registered integration (incoming or outgoing webhook). */
export interface IntegrationsTable {
  id: string;
  org_id: string;
  kind: "incoming" | "outgoing";
  name: string;
  bot_user_id: string;
  channel_id: string;
  /** Where the bot runtime runs, shown to members and admins. */
  runs_at: string;
  /** 1 or 0. */
  enabled: number;
  /** Actor reference of the admin who registered it. */
  created_by: string;
  created_at: number;
  updated_at: number;
}

/** A delivery the runtime gave up on: metadata only, never content. */
export interface IntegrationDeadLettersTable {
  integration_id: string;
  delivery_id: string;
  org_id: string;
  channel_id: string;
  seq: number;
  target_host: string;
  last_status: number | null;
  last_error: string;
  attempts: number;
  failed_at: number;
  reported_at: number;
}
